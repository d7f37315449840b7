from tacase.reference import all_states, requesting_state, requesting_states


def test_193_members_and_2_observers():
    statuses = [s.un_status for s in all_states().values()]
    assert statuses.count("member") == 193
    assert statuses.count("observer") == 2
    assert len(requesting_states()) == 195


def test_observers_may_request_territories_may_not():
    assert requesting_state("PSE").may_request
    assert requesting_state("VAT").may_request
    assert requesting_state("ABW") is None
    assert requesting_state("XXX") is None


def test_names_in_six_languages():
    fiji = requesting_state("FJI")
    assert fiji.name("en") == "Fiji"
    assert all(fiji.name(lang) for lang in ("fr", "es", "ru", "zh", "ar"))
    assert fiji.name("xx") == "Fiji"
