#!/usr/bin/env bash
# Starts and stops a real local mail stack for mailintake's tests and demo, on loopback only:
#   Dovecot (IMAP with STARTTLS, and IMAPS), its own config in a temporary folder, one test user;
#   aiosmtpd (SMTP with STARTTLS, and SMTPS), AUTH required, keeping every message it accepts;
#   an OAuth2 authorization server (lib/token_server.py, HTTPS) whose access tokens, HS256 JWTs
#   signed with the key in DIR/keys, both Dovecot and the SMTP server accept with XOAUTH2;
#   a throwaway CA whose server certificate names localhost and 127.0.0.1.
#
#   scripts/mailstack.sh install        apt-get what is missing (Debian/Ubuntu, as root)
#   scripts/mailstack.sh start DIR      start in DIR (created); writes DIR/env to source
#   scripts/mailstack.sh stop DIR       stop exactly the processes started in DIR
#   scripts/mailstack.sh stop-imap DIR / start-imap DIR / stop-smtp DIR / start-smtp DIR /
#                        stop-token DIR / start-token DIR
#                                       stop one server, or start it again on its old ports (fault
#                                       tests); the token server keeps its state (refresh tokens)
set -euo pipefail
# Dovecot's unprivileged processes must read what we write, whatever umask the caller runs with
# (a test process narrows its own while it creates a database, and we may inherit that).
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

install() {
    local missing=()
    command -v dovecot >/dev/null || missing+=(dovecot-imapd dovecot-core)
    /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
    command -v openssl >/dev/null || missing+=(openssl)
    pkg-config --exists libcurl 2>/dev/null || missing+=(libcurl4-openssl-dev)
    pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
    pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    command -v systemd-analyze >/dev/null || missing+=(systemd)
    # Headless Chromium renders the HTML report in its test (scripts/lib/render_page.py).
    command -v chromium >/dev/null || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "mailstack: missing packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "mailstack: installing ${missing[*]}" >&2
    apt-get update -qq
    # Keep the packages' own dovecot service from starting: we run our own instance.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
}

# Free ports (as many as asked for, all different) below the kernel's ephemeral range. A port
# from that range (bind to port 0) can be handed to an outgoing connection before our server
# binds it, or, while nothing listens, a connection to it can connect to itself (Linux's TCP
# self-connect): `wait_port` then sees a "listener" that is its own socket, the server cannot
# bind, and clients later talk TLS to themselves ("wrong version number") — seen once in a full run.
free_ports() {
    /usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
chosen = []
for _ in range(10000):
    if len(chosen) == int(sys.argv[1]):
        break
    port = random.randrange(10000, max(10001, low))
    if port in chosen:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    chosen.append(port)
else:
    raise SystemExit("mailstack: no free ports below the ephemeral range")
print(" ".join(map(str, chosen)))
PY
}

make_tls() {
    local tls=$1
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mailintake test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$tls/ext.cnf"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 2 -extfile "$tls/ext.cnf" -out "$tls/server.crt" 2>/dev/null
    chmod 644 "$tls"/*.crt
    chmod 640 "$tls"/*.key
}

start() {
    local dir=$1
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir"
    make_tls "$dir/tls"

    local imap_port imaps_port smtp_port smtps_port token_port smtp_ascii_port
    # Stacks started at the same moment (parallel tests) would pick a port another has chosen
    # and not yet bound: one start at a time, from choosing the ports until all of them listen.
    exec 9>>/tmp/mailintake-mailstack.lock
    flock 9
    read -r imap_port imaps_port smtp_port smtps_port token_port smtp_ascii_port <<< "$(free_ports 6)"
    local user=office password=office-secret
    local mail_uid mail_gid internal_user internal_group login_user
    if [ "$(id -u)" -eq 0 ]; then
        # Dovecot will not keep mail as root: an unprivileged uid with no passwd entry is enough.
        mail_uid=4242; mail_gid=4242; internal_user=dovecot; internal_group=dovecot; login_user=dovenull
    else
        # Everything runs as the caller; its sockets' group too (the default, "dovecot", is one
        # a normal user cannot chown to: the master would stop with "Failed to start listeners").
        mail_uid=$(id -u); mail_gid=$(id -g); internal_user=$(id -un); internal_group=$(id -gn); login_user=$(id -un)
    fi
    mkdir -p "$dir/mail" "$dir/run" "$dir/state" "$dir/spool"
    chown "$mail_uid:$mail_gid" "$dir/mail"
    chgrp "$(id -g "$internal_user" 2>/dev/null || echo 0)" "$dir/tls/server.key" 2>/dev/null || true
    # One passwd-file per user (the path has %u in it), so tests can add accounts by writing a
    # new file, atomically, without racing Dovecot's re-reading of one shared file.
    mkdir -p "$dir/users.d"
    echo "$user:{PLAIN}$password:$mail_uid:$mail_gid::$dir/mail/$user::" > "$dir/users.d/$user"

    # The HS256 key of the OAuth2 access tokens, where Dovecot's local validation looks for it:
    # its dict key is AZP/ALG/KID, and the token server sets neither azp nor kid, so both are
    # "default". Dovecot 2.3.19 reads this file as base64 and signs with the decoded bytes (a
    # token signed with the file's text itself gets "Incorrect JWT signature"); the token server
    # and the SMTP server read it the same way. Readable by Dovecot's unprivileged auth process.
    mkdir -p "$dir/keys/default/HS256" "$dir/token"
    openssl rand -base64 32 > "$dir/keys/default/HS256/default"
    chmod 640 "$dir/keys/default/HS256/default"
    chgrp "$(id -g "$internal_user" 2>/dev/null || echo 0)" "$dir/keys/default/HS256/default" 2>/dev/null || true
    # Local validation: Dovecot asks the token server nothing. It wants a header with typ "JWT"
    # and alg HS256, the claims sub (any value) and exp (not past), iat and nbf not in the
    # future when present, and the email claim equal to the user the client names (a token
    # without email is a temporary failure, not a refusal). An azp claim would change the key's
    # path, a kid header its name.
    cat > "$dir/dovecot-oauth2.conf.ext" <<CONF
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$dir/keys/
username_attribute = email
CONF

    cat > "$dir/dovecot.conf" <<CONF
# Generated by mailintake's scripts/mailstack.sh: a throwaway Dovecot for tests.
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = $internal_user
default_internal_group = $internal_group
default_login_user = $login_user
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
first_valid_gid = $mail_gid
last_valid_gid = $mail_gid
ssl = yes
ssl_cert = <$dir/tls/server.crt
ssl_key = <$dir/tls/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer
# Why a login failed goes to dovecot.log ("Token has expired", "Incorrect JWT signature", ...).
auth_verbose = yes
mail_location = maildir:$dir/mail/%u/Maildir
# Passwords for PLAIN and LOGIN only, tokens for the OAuth2 mechanisms only: without the
# filters, a password would also be tried as a token and a token as a password.
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $dir/users.d/%u
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2.conf.ext
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users.d/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
CONF
    # How to start each server again after a test stopped it (stop-imap, start-imap, ...).
    # Dovecot's master keeps the starter's stdout/stderr: send them to a file.
    printf '#!/bin/sh\nexec dovecot -c "%s/dovecot.conf" >>"%s/dovecot.start.log" 2>&1\n' "$dir" "$dir" > "$dir/imap.start"
    printf '#!/bin/sh\n/usr/bin/python3 "%s" --spool "%s/spool" --port %s --tls-port %s --cert "%s/tls/server.crt" --key "%s/tls/server.key" --user submit --password submit-secret --fail-file "%s/smtp-fail" --pid-file "%s/smtp.pid" --oauth-user %s --oauth-key-file "%s/keys/default/HS256/default" --ascii-port %s >>"%s/smtp.log" 2>&1 &\n' \
        "$here/lib/smtp_sink.py" "$dir" "$smtp_port" "$smtps_port" "$dir" "$dir" "$dir" "$dir" "$user" "$dir" "$smtp_ascii_port" "$dir" > "$dir/smtp.start"
    printf '#!/bin/sh\n/usr/bin/python3 "%s" --port %s --cert "%s/tls/server.crt" --key "%s/tls/server.key" --state-dir "%s/token" --jwt-key-file "%s/keys/default/HS256/default" --user %s --pid-file "%s/token.pid" >>"%s/token.log" 2>&1 &\n' \
        "$here/lib/token_server.py" "$token_port" "$dir" "$dir" "$dir" "$dir" "$user" "$dir" "$dir" > "$dir/token.start"
    chmod 755 "$dir/imap.start" "$dir/smtp.start" "$dir/token.start"
    # Not handing the lock's descriptor to the servers: they would hold the lock for ever.
    "$dir/imap.start" 9>&-
    "$dir/smtp.start" 9>&-
    "$dir/token.start" 9>&-

    cat > "$dir/env" <<ENV
export MI_STACK_DIR='$dir'
export MI_IMAP_PORT=$imap_port
export MI_IMAPS_PORT=$imaps_port
export MI_SMTP_PORT=$smtp_port
export MI_SMTPS_PORT=$smtps_port
export MI_SMTP_ASCII_PORT=$smtp_ascii_port
export MI_CA='$dir/tls/ca.crt'
export MI_USER=$user
export MI_PASSWORD=$password
export MI_SMTP_USER=submit
export MI_SMTP_PASSWORD=submit-secret
export MI_SMTP_SPOOL='$dir/spool'
export MI_SMTP_FAIL_FILE='$dir/smtp-fail'
export MI_TOKEN_PORT=$token_port
export MI_TOKEN_URL='https://127.0.0.1:$token_port/token'
export MI_DEVICE_URL='https://127.0.0.1:$token_port/devicecode'
export MI_AUTHORIZE_URL='https://127.0.0.1:$token_port/authorize'
export MI_TOKEN_CONTROL='https://127.0.0.1:$token_port/control'
export MI_TOKEN_STATS='https://127.0.0.1:$token_port/stats'
export MI_OAUTH_CLIENT_ID=mailintake-test
export MI_OAUTH_CLIENT_SECRET=test-client-secret
export MI_OAUTH_USER=$user
export MI_OAUTH_KEY_FILE='$dir/keys/default/HS256/default'
ENV
    for port in $imap_port $imaps_port $smtp_port $smtps_port $smtp_ascii_port $token_port; do wait_port "$port" "$dir"; done
    flock -u 9
    exec 9>&-
    echo "mailstack: running in $dir (IMAP $imap_port, IMAPS $imaps_port, SMTP $smtp_port, SMTPS $smtps_port, token server $token_port)" >&2
}

wait_port() {
    local port=$1 dir=$2
    for _ in $(seq 1 100); do
        if /usr/bin/python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "mailstack: nothing listens on port $port; see $dir/dovecot.log, $dir/dovecot.start.log, $dir/smtp.log and $dir/token.log" >&2
    tail -5 "$dir/dovecot.start.log" "$dir/dovecot.log" "$dir/smtp.log" "$dir/token.log" 2>/dev/null >&2 || true
    exit 1
}

# Stops one server and waits until it is gone.
stop_one() {
    local pidfile=$1
    [ -f "$pidfile" ] || return 0
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    # Gone, and its ports closed, before the caller goes on (a fault test checks they are).
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# Starts one server again on its old ports (after stop-imap, stop-smtp or stop-token).
start_one() {
    local dir=$1 which=$2
    . "$dir/env"
    "$dir/$which.start"
    case $which in
        imap) wait_port "$MI_IMAP_PORT" "$dir"; wait_port "$MI_IMAPS_PORT" "$dir" ;;
        smtp) wait_port "$MI_SMTP_PORT" "$dir"; wait_port "$MI_SMTPS_PORT" "$dir" ;;
        token) wait_port "$MI_TOKEN_PORT" "$dir" ;;
    esac
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -f "$dir/run/master.pid" ]; then
        kill "$(cat "$dir/run/master.pid")" 2>/dev/null || true
    fi
    local pidfile
    for pidfile in "$dir/smtp.pid" "$dir/token.pid"; do
        if [ -f "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
        fi
    done
    for _ in $(seq 1 50); do
        local alive=0
        [ -f "$dir/run/master.pid" ] && kill -0 "$(cat "$dir/run/master.pid")" 2>/dev/null && alive=1
        [ -f "$dir/smtp.pid" ] && kill -0 "$(cat "$dir/smtp.pid")" 2>/dev/null && alive=1
        [ -f "$dir/token.pid" ] && kill -0 "$(cat "$dir/token.pid")" 2>/dev/null && alive=1
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
}

case "${1:-}" in
    install) install ;;
    start) [ $# -eq 2 ] || { echo "usage: $0 start DIR" >&2; exit 2; }; install; start "$2" ;;
    stop) [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
    stop-imap) stop_one "$2/run/master.pid" ;;
    stop-smtp) stop_one "$2/smtp.pid" ;;
    start-imap) start_one "$2" imap ;;
    start-smtp) start_one "$2" smtp ;;
    stop-token) stop_one "$2/token.pid" ;;
    start-token) start_one "$2" token ;;
    *) echo "usage: $0 install | start DIR | stop DIR | stop-imap DIR | start-imap DIR | stop-smtp DIR | start-smtp DIR | stop-token DIR | start-token DIR" >&2; exit 2 ;;
esac
