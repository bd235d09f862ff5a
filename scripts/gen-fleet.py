#!/usr/bin/env python3
"""Writes N switch texts (a running-config each) into DIR, for the fleet memory benchmark
(issue 28 item 13; BENCHMARKS.md). Each text names its own switch (hostname swNNNNN) and,
with --distinct, its own licensing URL path, so that no two plans are alike and every
switch is probed on its own. The URL is https://127.0.0.1:PORT/...: a port where nothing
listens refuses at once, so `check` probes fast and never leaves this host.

    scripts/gen-fleet.py DIR 20000 [--distinct] [--port 9]
"""
import argparse
import os

TEMPLATE = """Building configuration...

Current configuration : 14233 bytes
!
! Last configuration change at 09:01:12 UTC Fri Nov 20 2026 by admin
!
version 17.9
service timestamps debug datetime msec
service timestamps log datetime msec
service call-home
platform punt-keepalive disable-kernel-core
!
hostname {name}
!
vrf definition Mgmt-vrf
 !
 address-family ipv4
 exit-address-family
!
no aaa new-model
clock timezone CET 1 0
ip domain name corp.example
!
crypto pki trustpoint SLA-TrustPoint
 enrollment pkcs12
 revocation-check crl
!
crypto pki trustpoint TP-self-signed-1234567
 enrollment selfsigned
 subject-name cn=IOS-Self-Signed-Certificate-1234567
 revocation-check none
 rsakeypair TP-self-signed-1234567
!
license smart transport smart
license smart url smart https://127.0.0.1:{port}/licservice/license{path}
!
interface GigabitEthernet0/0
 vrf forwarding Mgmt-vrf
 ip address 10.99.5.10 255.255.255.0
!
call-home
 contact-email-addr sch-smart-licensing@cisco.com
 profile "CiscoTAC-1"
  active
  destination transport-method http
!
end
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("count", type=int)
    p.add_argument("--distinct", action="store_true", help="a URL path of its own per switch")
    p.add_argument("--port", type=int, default=9)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    width = len(str(a.count))
    for i in range(1, a.count + 1):
        name = f"sw{i:0{width}d}"
        path = f"/{name}" if a.distinct else ""
        with open(os.path.join(a.dir, f"{name}.txt"), "w") as f:
            f.write(TEMPLATE.format(name=name, port=a.port, path=path))


if __name__ == "__main__":
    main()
