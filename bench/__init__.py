"""Load benchmark of the public listing search (issue 4, point 6). A dev tool: not part of `make test`."""
