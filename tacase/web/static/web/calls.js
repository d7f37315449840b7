// The answer form of a call: questions whose condition is not met are hidden (without script they
// all show, their condition said in a hint), and the draft is saved a moment after one stops typing.
const form = document.getElementById("call-answer");
if (form) {
  const answerOf = (key) => {
    const inputs = form.querySelectorAll(`[name="q-${key}"]`);
    const values = [];
    inputs.forEach((input) => {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value) values.push(input.value);
    });
    return values;
  };
  const same = (answer, wanted) => {
    if (wanted === true) return answer === "yes";
    if (wanted === false) return answer === "no";
    return String(wanted) === answer;
  };
  const refresh = () => {
    form.querySelectorAll("[data-when]").forEach((block) => {
      const parent = form.querySelector(`[data-question="${block.dataset.when}"]`);
      const wanted = JSON.parse(block.dataset.whenValues || "[]");
      const answers = answerOf(block.dataset.when);
      const met = (!parent || !parent.hidden) && answers.some((a) => wanted.some((w) => same(a, w)));
      block.hidden = !met;
    });
  };
  refresh();
  const status = document.getElementById("autosave-status");
  let timer = null;
  const save = () => {
    const body = new FormData(form);
    body.set("action", "save");
    // Files go with "Save draft" only, not with every pause in typing.
    [...body.keys()].forEach((name) => { if (body.get(name) instanceof File) body.delete(name); });
    fetch(form.dataset.autosave, {method: "POST", body, headers: {"X-Autosave": "1"}, credentials: "same-origin"})
      .then((r) => r.ok ? r.json() : Promise.reject(r))
      .then((data) => {
        const version = form.querySelector('input[name="version"]');
        if (version && data.version) version.value = data.version;
        if (status) status.textContent = status.dataset.saved || "Saved";
      })
      .catch(() => { if (status) status.textContent = ""; });
  };
  form.addEventListener("input", () => {
    refresh();
    clearTimeout(timer);
    timer = setTimeout(save, 2000);
  });
  form.addEventListener("change", refresh);
}
