"""nemo-mock: an emulator of the nemo_agent video API, its contract harness and a reference client.

One installed package, mapped onto the repository's folders:

- `nemo_mock.server` (mock_server/): the emulator, `create_app(settings, world=None)`;
- `nemo_mock.client` (client/): the reference client, `Agent` and `Api`;
- `nemo_mock.contracts` (contracts/): the contract as data;
- `nemo_mock.scenarios` (scenarios/): the client conformance runner;
- `nemo_mock.cli`: the `nemo-mock` command (`python -m nemo_mock`).
"""

__all__ = ["__version__"]

__version__ = "0.2.0"
