"""The README's pytest-plugin example, verbatim: if this fails, the README is wrong."""

from nemo_mock.client import Agent, Config


def test_silent_close_is_reported_not_resent(nemo_mock, tmp_path):
    nemo_mock.faults.add(
        match={"method": "POST", "path": "/run_sse"},
        times=1,
        action={"type": "sse_silent_close"},
    )
    config = Config(
        api_url=nemo_mock.url,
        web_url=nemo_mock.url,
        state_dir=tmp_path,
        time_scale=nemo_mock.settings.time_scale,
    )
    with Agent(config) as agent:  # your own client goes here
        outcome = agent.handle("add background music")

    assert "Timeline (" in outcome.output  # the change was reported from the state
    journal = nemo_mock.journal.expect()
    journal.request("POST", "/run_sse").once()  # never re-sent
    journal.request("GET", "/api/state/*").at_least(1)  # the state was read instead
