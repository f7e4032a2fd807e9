#!/usr/bin/env python3
"""urllib client for python-httpserver.pcap: fetches the given URLs one after another (a 404 is fine)."""
import sys
import urllib.error
import urllib.request

for url in sys.argv[1:]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            print(url, r.status, len(r.read()))
    except urllib.error.HTTPError as e:
        print(url, e.code, len(e.read()))
