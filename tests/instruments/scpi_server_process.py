"""The mock SCPI generator in a process of its own (as a lab generator is): prints its VISA resource name,
then serves until stdin closes. ``python -m tests.instruments.scpi_server_process``"""

import sys

from instruments.rf.mock_server import MockScpiServer

if __name__ == "__main__":
    with MockScpiServer("smb100a") as server:
        print(server.resource_name, flush=True)
        sys.stdin.read()
