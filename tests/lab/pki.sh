#!/usr/bin/env bash
# Lab PKI, generated at run time, whose names mirror reality (docs/findings.md; Cisco FN72323):
#   "IdenTrust Commercial Root CA 1" -> "HydrantID Server CA O1" -> licensing leaf  (current chain)
#   "QuoVadis Root CA 2" -> licensing leaf                                           (old chain)
#   "DigiCert Global Root G2" -> "HydrantID Server CA O1" -> leaf                      (a root IOS XE lacks)
#   "DigiCert Global Root G2" -> leaf, served without the root                         (same, no intermediate)
#   (the DigiCert name is the real root's full distinguished name, so licpath recognises it
#   as a well-known root by name, as it would the real one)
#   expired, not-yet-valid and wrong-name leaves; the interceptor's CA.
# Leaves carry the IdenTrust chain's revocation URLs (validation.identrust.com CRL,
# commercial.ocsp.identrust.com OCSP), which the lab's DNS maps to a lab web server.
# Usage: pki.sh DIR
set -euo pipefail
D=${1:?usage: pki.sh DIR}
mkdir -p "$D" && cd "$D"
[ -f done ] && exit 0
NAMES="DNS:smartreceiver.cisco.com,DNS:tools.cisco.com,DNS:smartreceiver-stage.cisco.com"

ca_conf() { # name -> openssl ca config for signing with explicit dates
  mkdir -p "db-$1"; : > "db-$1/index"; echo 1000 > "db-$1/serial"
  cat > "ca-$1.cnf" <<CNF
[ca]
default_ca = this
[this]
database = db-$1/index
serial = db-$1/serial
new_certs_dir = db-$1
certificate = $1.pem
private_key = $1.key
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
organizationName = optional
countryName = optional
[leaf]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
crlDistributionPoints = URI:http://validation.identrust.com/crl/$1.crl
authorityInfoAccess = OCSP;URI:http://commercial.ocsp.identrust.com
[inter]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
CNF
}

root() { # file subject
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" \
    -subj "$2" -days 3650 -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  ca_conf "$1"
}

sign() { # ca file subject ext start end [san]
  local ca=$1 f=$2 subj=$3 ext=$4 start=$5 end=$6 san=${7:-}
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$f.key" -out "$f.csr" -subj "$subj" \
    ${san:+-addext "subjectAltName=$san"} 2>/dev/null
  openssl ca -batch -config "ca-$ca.cnf" -extensions "$ext" -in "$f.csr" -out "$f.pem" -notext \
    -startdate "$start" -enddate "$end" 2>/dev/null
  [ "$ext" = inter ] && ca_conf "$f"
  return 0
}

NOW_MINUS=$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)
LATER=$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)

root identrust "/C=US/O=IdenTrust/CN=IdenTrust Commercial Root CA 1"
sign identrust hydrant "/C=US/O=IdenTrust/CN=HydrantID Server CA O1" inter "$NOW_MINUS" "$LATER"
sign hydrant leaf "/C=US/O=Cisco Systems Inc./CN=smartreceiver.cisco.com" leaf "$NOW_MINUS" "$LATER" "$NAMES"
cat leaf.pem hydrant.pem > chain-current.pem

root quovadis "/C=BM/O=QuoVadis Limited/CN=QuoVadis Root CA 2"
sign quovadis leaf-old "/C=US/O=Cisco Systems Inc./CN=smartreceiver.cisco.com" leaf "$NOW_MINUS" "$LATER" "$NAMES"
cp leaf-old.pem chain-old.pem

root digicert "/C=US/O=DigiCert Inc/OU=www.digicert.com/CN=DigiCert Global Root G2"
sign digicert hydrant-dc "/C=US/O=IdenTrust/CN=HydrantID Server CA O1" inter "$NOW_MINUS" "$LATER"
sign hydrant-dc leaf-dc "/C=US/O=Cisco Systems Inc./CN=smartreceiver.cisco.com" leaf "$NOW_MINUS" "$LATER" "$NAMES"
cat leaf-dc.pem hydrant-dc.pem digicert.pem > chain-digicert.pem
# A leaf issued directly by that root, served alone (servers need not send their root): the
# root is missing from the device, which is untrusted_root, not an incomplete chain.
sign digicert leaf-dcdirect "/C=US/O=Cisco Systems Inc./CN=smartreceiver.cisco.com" leaf "$NOW_MINUS" "$LATER" "$NAMES"
cp leaf-dcdirect.pem chain-dcdirect.pem

sign hydrant leaf-expired "/C=US/O=Cisco Systems Inc./CN=smartreceiver.cisco.com" leaf 20200101000000Z 20210101000000Z "$NAMES"
cat leaf-expired.pem hydrant.pem > chain-expired.pem
sign hydrant leaf-future "/C=US/O=Cisco Systems Inc./CN=smartreceiver.cisco.com" leaf 20400101000000Z 20410101000000Z "$NAMES"
cat leaf-future.pem hydrant.pem > chain-future.pem
sign hydrant leaf-wrongname "/C=US/O=Example/CN=www.example.com" leaf "$NOW_MINUS" "$LATER" "DNS:www.example.com"
cat leaf-wrongname.pem hydrant.pem > chain-wrongname.pem

root interceptor "/C=US/O=Lab Security Appliance/CN=Lab Squid Interception CA"
cat interceptor.pem interceptor.key > interceptor-bundle.pem

# What a switch with a recent trustpool trusts, as PEM (for --trust-store and for curl).
cat identrust.pem quovadis.pem > device-trustpool.pem
touch done
