// A page that refused a form moves the focus to its error summary, so that screen readers say the
// problems first (GOV.UK's error summary). Without script, the summary is first in the page and the
// title starts with "Error:".
const summary = document.querySelector(".error-summary");
if (summary) {
  summary.focus();
}
