"""Runs checkdmarc's command line with its plain-DNS nameservers on another port (bench/dns.sh).

checkdmarc's -n takes bare addresses (port 53), and the lab's Knot server listens on 5353. This
wraps checkdmarc's own conversion of nameserver entries so that a plain address becomes a Do53
nameserver on CHECKDMARC_PORT; nothing else in checkdmarc changes.
"""

import os
import sys

import dns.nameserver
import checkdmarc.utils as utils
from checkdmarc._cli import _main

PORT = int(os.environ.get("CHECKDMARC_PORT", "53"))
_convert = utils._nameservers_to_resolver_input


def _on_port(nameservers):
    """checkdmarc's conversion, with every plain-DNS nameserver moved to PORT."""
    out = []
    for entry in _convert(nameservers):
        if isinstance(entry, dns.nameserver.Do53Nameserver):
            entry = dns.nameserver.Do53Nameserver(entry.address, PORT)
        out.append(entry)
    return out


utils._nameservers_to_resolver_input = _on_port
sys.argv[0] = "checkdmarc"
sys.exit(_main())
