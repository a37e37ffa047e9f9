#!/usr/bin/env bash
# Writes a mailintake configuration for the local mail stack: write_config.sh STACK_DIR OUT_DIR [imaps|imap] [smtps|smtp]
# (sources STACK_DIR/env; copies the templates and the vocabulary next to the config as an installation would).
set -euo pipefail
stack=$1 out=$2 imap_scheme=${3:-imaps} smtp_scheme=${4:-smtp}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$stack/env"
mkdir -p "$out"
umask 077
printf '%s\n' "$MI_PASSWORD" > "$out/imap.password"
printf '%s\n' "$MI_SMTP_PASSWORD" > "$out/smtp.password"
rm -rf "$out/templates" "$out/vocabulary"
cp -r "$here/config/templates" "$out/templates"
cp -r "$here/config/vocabulary" "$out/vocabulary"
if [ "$imap_scheme" = imaps ]; then imap_port=$MI_IMAPS_PORT; else imap_port=$MI_IMAP_PORT; fi
if [ "$smtp_scheme" = smtps ]; then smtp_port=$MI_SMTPS_PORT; else smtp_port=$MI_SMTP_PORT; fi
cat > "$out/mailintake.conf" <<CONF
# Generated for the local test mail stack in $stack
[imap]
url = $imap_scheme://127.0.0.1:$imap_port
mailbox = INBOX
user = $MI_USER
password_file = imap.password
ca_file = $MI_CA
poll_interval = 2s
timeout = 20s

[smtp]
url = $smtp_scheme://127.0.0.1:$smtp_port
user = $MI_SMTP_USER
password_file = smtp.password
ca_file = $MI_CA
from = mednarodno@maribor.example
timeout = 20s

[store]
path = mailintake.sqlite

[office]
name = Urad za mednarodno in medmestno sodelovanje, Mestna občina Maribor
email = mednarodno@maribor.example
phone = 02/2201-219
address = Ulica heroja Staneta 1, 2000 Maribor

[ack]
reference_prefix = MB
templates = templates

[classifier]
vocabulary = vocabulary

[web_form]
senders = noreply@maribor.example

[routing]
# The demo's staff: culture and sport have their own desks, everything else goes to one.
default = mednarodno@maribor.example
culture = kultura@maribor.example
sport = sport@maribor.example

[log]
level = info
CONF
echo "$out/mailintake.conf"
