#!/usr/bin/env bash
# Makes the fixture certificates the TLS specs use. They are committed, so
# specs never run openssl; run this again only to change them (needs openssl).
#   ca.pem / ca-key.pem        a test CA, valid for 100 years
#   server.pem / server-key.pem  localhost, 127.0.0.1 and ::1, signed by the CA, 100 years
#   other.pem / other-key.pem    for other.example only (a host-name mismatch), signed by the CA
#   expired.pem / expired-key.pem  localhost and 127.0.0.1, signed by the CA, expired in 2021
#   client.pem / client-key.pem  a client certificate signed by the CA (mutual TLS)
set -euo pipefail
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days $days \
  -subj '/CN=httpio test CA' -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
leaf() { # name, subject CN, subjectAltName
  openssl req -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.csr" -subj "/CN=$2"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' "$3" "${4:-serverAuth}" > "$1.ext"
}
leaf server localhost 'DNS:localhost,IP:127.0.0.1,IP:::1'
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -set_serial 2 -days $days -extfile server.ext -out server.pem
leaf other other.example 'DNS:other.example'
openssl x509 -req -in other.csr -CA ca.pem -CAkey ca-key.pem -set_serial 3 -days $days -extfile other.ext -out other.pem
leaf client 'httpio test client' 'DNS:client.example' clientAuth
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -set_serial 4 -days $days -extfile client.ext -out client.pem
# An expired certificate needs fixed dates, which only `openssl ca` takes.
leaf expired localhost 'DNS:localhost,IP:127.0.0.1'
tmp=$(mktemp -d)
touch "$tmp/index.txt"
printf '[ca]\ndefault_ca=test\n[test]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=any\ncopy_extensions=none\n[any]\ncommonName=supplied\n' "$tmp" "$tmp" "$tmp" > "$tmp/ca.cnf"
echo 05 > "$tmp/serial"
openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca-key.pem -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20210101000000Z -extfile expired.ext -notext
rm -rf "$tmp" ./*.csr ./*.ext
