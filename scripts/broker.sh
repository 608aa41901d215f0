#!/usr/bin/env bash
# Manage a local, loopback-only RabbitMQ for the integration tests.
#
#   scripts/broker.sh start   install (if root) + start + wait until AMQP works
#   scripts/broker.sh stop    stop the node (ok if it is not running)
#   scripts/broker.sh status  exit 0 if 127.0.0.1:5672 accepts TCP, else 1
#   scripts/broker.sh certs-dir  print the directory of the test certificates
#
# Tests connect as guest/guest on vhost "/" at 127.0.0.1:5672; the
# management API is at http://127.0.0.1:15672. TLS (amqps) is on
# 127.0.0.1:5671 with a server certificate for localhost and 127.0.0.1 signed
# by a test CA; the client certificate in the certs dir logs in with SASL
# EXTERNAL as user "aioamqp-client" (its CN). Files in the certs dir:
# ca.pem, server.pem, server.key, client.pem, client.key (ca.key: root only).
set -euo pipefail

HOST=127.0.0.1
AMQP_PORT=5672
TLS_PORT=5671
# Readable by everyone but ca.key and server.key: the broker (user rabbitmq)
# needs the server key, tests (any user) need the CA and the client key.
CERTS_DIR=/etc/rabbitmq/aioamqp-tls
# EXTERNAL logs in as the client certificate's CN (ssl_cert_login_from).
CLIENT_CN=aioamqp-client
CERT_DAYS=3650
NODE="rabbit@$(hostname -s)"
PID_FILE="/var/lib/rabbitmq/mnesia/${NODE}.pid"
LOG_DIR=/var/log/rabbitmq
# Server stdout/stderr: early boot errors (e.g. a bad config) only show up here.
STARTUP_LOG=$LOG_DIR/aioamqp-startup.log
# Our own config file, so we never clobber an admin's /etc/rabbitmq/rabbitmq.conf.
CONF_FILE=/etc/rabbitmq/aioamqp-tests.conf
WAIT_TIMEOUT=90
# Several test runs may call 'start' at once; only one may launch the node.
LOCK_FILE=/run/lock/aioamqp-broker.lock

# Keep every listener on loopback. Exported so that rabbitmq-server and the
# CLI tools (which may start epmd themselves) all see the same settings; the
# Debian wrappers re-run themselves as user rabbitmq via su, which keeps them.
export RABBITMQ_NODE_IP_ADDRESS=$HOST                                   # AMQP 5672
export ERL_EPMD_ADDRESS=$HOST                                           # epmd 4369
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"  # 25672
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"  # CLI's own dist port
export RABBITMQ_CONFIG_FILE=$CONF_FILE                                  # management 15672

log() { echo "broker.sh: $*" >&2; }

fail() {
    log "ERROR: $*"
    exit 1
}

# For failures of the node itself: the reason is in its logs.
die() {
    log "ERROR: $*"
    show_log
    exit 1
}

# Lines of the node log before this run, so we only show this run's errors.
LOG_SKIP=0

# The cause of a failed start is in this run's part of the node log or in the
# server's output (config errors happen before the node log is opened).
show_log() {
    local node_log="$LOG_DIR/${NODE}.log" new out="" errs
    new=$(tail -n "+$((LOG_SKIP + 1))" "$node_log" 2>/dev/null) || true
    [[ -s $STARTUP_LOG ]] && out=$(<"$STARTUP_LOG")
    if [[ -z $new && -z $out ]]; then
        log "(nothing in $node_log or $STARTUP_LOG)"
        return 0
    fi
    # The first errors are the cause; what follows is mostly crash reports.
    errs=$(grep -m 10 '\[error\]' <<<"$new" | cut -c1-300) || true
    if [[ -n $errs ]]; then
        log "first errors in $node_log:"
        echo "$errs" >&2
        # The server's own summary of why boot failed.
        if grep -q 'BOOT FAILED' <<<"$out"; then
            log "from $STARTUP_LOG:"
            grep -m 1 -A 12 'BOOT FAILED' <<<"$out" >&2
        fi
    else
        errs=$(grep -m 12 '\[error\]' <<<"$out" | cut -c1-300) || true
        if [[ -n $errs ]]; then
            log "first errors in $STARTUP_LOG:"
            echo "$errs" >&2
        fi
    fi
    if [[ -n $new ]]; then
        log "last lines of $node_log:"
        tail -n 20 <<<"$new" | cut -c1-300 >&2
    else
        log "last lines of $STARTUP_LOG:"
        tail -n 20 <<<"$out" | cut -c1-300 >&2
    fi
}

# True if something accepts TCP on 127.0.0.1:$1 (bash's /dev/tcp, 2 s cap).
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# A node process may exist (booting, or AMQP listener not up yet) even if the
# port is closed; the pid file tells us.
node_pid_alive() {
    [[ -s $PID_FILE ]] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    # After a crash the pid may be a zombie or belong to something else.
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == beam.smp ]] \
        && ! grep -q '^State:.*zombie' "/proc/$pid/status" 2>/dev/null
}

install_server() {
    command -v rabbitmq-server >/dev/null && return 0
    log "installing rabbitmq-server via apt (takes a minute or two)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || fail "apt-get update failed"
    apt-get install -y -q rabbitmq-server || fail "apt-get install rabbitmq-server failed"
    # The package's postinst tries to start the service; with no init system
    # that fails harmlessly, and we start the node ourselves below.
}

install_openssl() {
    command -v openssl >/dev/null && return 0
    log "installing openssl via apt (to make the test certificates)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || fail "apt-get update failed"
    apt-get install -y -q openssl || fail "apt-get install openssl failed"
}

# True if every certificate is there, valid for another day and signed by
# our CA (a half-written set from an interrupted run is not).
certs_ok() {
    local f
    for f in ca.pem ca.key server.pem server.key client.pem client.key; do
        [[ -s $CERTS_DIR/$f ]] || return 1
    done
    command -v openssl >/dev/null || return 0
    for f in server client; do
        openssl x509 -checkend 86400 -noout -in "$CERTS_DIR/$f.pem" >/dev/null 2>&1 || return 1
        openssl verify -CAfile "$CERTS_DIR/ca.pem" "$CERTS_DIR/$f.pem" >/dev/null 2>&1 || return 1
    done
}

# One certificate signed by the CA in the current directory: $1 = file name
# and extensions section, $2 = CN.
sign_cert() {
    openssl req -new -config openssl.cnf -newkey rsa:2048 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
    # Random serials: a regenerated certificate never repeats one.
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
        -days $CERT_DAYS -sha256 -extfile openssl.cnf -extensions "$1" -out "$1.pem"
    rm -f "$1.csr"
}

# The test CA, a server certificate (CN and SAN localhost, SAN IP 127.0.0.1,
# so hostname checks pass for both) and a client certificate (CN $CLIENT_CN),
# built in a fresh directory $1 (the current directory is left alone).
make_certs() {
    local dir=$1
    [[ -n $dir && -d $dir ]] || return 1
    # Our own config: independent of the system openssl.cnf's defaults.
    printf '%s\n' \
        '[req]' 'distinguished_name = dn' 'prompt = no' '[dn]' \
        '[ca]' 'basicConstraints = critical, CA:TRUE' 'keyUsage = critical, keyCertSign, cRLSign' \
        'subjectKeyIdentifier = hash' \
        '[server]' 'basicConstraints = critical, CA:FALSE' \
        'keyUsage = critical, digitalSignature, keyEncipherment' 'extendedKeyUsage = serverAuth' \
        'subjectAltName = DNS:localhost, IP:127.0.0.1' \
        'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' \
        '[client]' 'basicConstraints = critical, CA:FALSE' \
        'keyUsage = critical, digitalSignature, keyEncipherment' 'extendedKeyUsage = clientAuth' \
        'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' \
        >"$dir/openssl.cnf"
    (
        cd "$dir" || exit 1
        openssl req -x509 -config openssl.cnf -extensions ca -newkey rsa:2048 -nodes \
            -keyout ca.key -out ca.pem -days $CERT_DAYS -subj "/CN=aioamqp test CA" \
            && sign_cert server localhost \
            && sign_cert client "$CLIENT_CN" \
            && rm -f openssl.cnf
    )
}

# Sets CERTS_MADE=1 if it (re)generated the certificates.
CERTS_MADE=0
ensure_certs() {
    certs_ok && return 0
    log "generating test certificates in $CERTS_DIR"
    local tmp
    mkdir -p "$(dirname "$CERTS_DIR")"
    # Built aside and moved in, so a failure never leaves a mixed set.
    tmp=$(mktemp -d "$CERTS_DIR.new.XXXXXX") || fail "mktemp failed"
    [[ -d $tmp ]] || fail "mktemp gave no directory"
    if ! make_certs "$tmp" >"$tmp.log" 2>&1; then
        cat "$tmp.log" >&2
        rm -rf -- "$tmp" "$tmp.log"
        fail "could not generate the test certificates"
    fi
    rm -f -- "$tmp.log"
    chown root:rabbitmq -- "$tmp" "$tmp/server.key"
    chmod 755 -- "$tmp"
    # client.key too: a test-only identity for a loopback broker, used by
    # tests running as any user.
    chmod 644 -- "$tmp/ca.pem" "$tmp/server.pem" "$tmp/client.pem" "$tmp/client.key"
    chmod 640 -- "$tmp/server.key"
    chmod 600 -- "$tmp/ca.key"
    rm -rf -- "$CERTS_DIR"
    mv -- "$tmp" "$CERTS_DIR"
    CERTS_MADE=1
}

write_config() {
    mkdir -p "$(dirname "$CONF_FILE")"
    # Rewritten on every start so edits here take effect; must be readable by
    # the rabbitmq user because the server runs as rabbitmq.
    cat >"$CONF_FILE" <<EOF
# Written by aioamqp scripts/broker.sh -- test broker, loopback only.
listeners.tcp.default = $HOST:$AMQP_PORT
management.tcp.ip = $HOST
management.tcp.port = 15672
# amqps for the TLS tests. verify_peer checks a client certificate if one is
# sent (EXTERNAL needs it) but, with fail_if_no_peer_cert off, does not
# require one, so PLAIN over TLS works too.
listeners.ssl.default = $HOST:$TLS_PORT
ssl_options.cacertfile = $CERTS_DIR/ca.pem
ssl_options.certfile = $CERTS_DIR/server.pem
ssl_options.keyfile = $CERTS_DIR/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
auth_mechanisms.1 = PLAIN
auth_mechanisms.2 = AMQPLAIN
auth_mechanisms.3 = EXTERNAL
ssl_cert_login_from = common_name
EOF
    chmod 644 "$CONF_FILE"
}

enable_plugins() {
    # --offline: works before the node runs and is a no-op if already enabled.
    # rabbitmq_auth_mechanism_ssl is for the EXTERNAL-auth tests.
    rabbitmq-plugins enable --offline rabbitmq_management rabbitmq_auth_mechanism_ssl >/dev/null \
        || fail "rabbitmq-plugins enable failed"
}

# The default guest/guest user (loopback-only by default) and vhost "/" are
# created on first boot; recreate them if someone removed them.
ensure_guest() {
    if ! rabbitmqctl -q list_vhosts | grep -qx /; then
        log "vhost / missing, adding it"
        rabbitmqctl -q add_vhost / || die "could not add vhost /"
    fi
    if ! rabbitmqctl -q list_users | awk '{print $1}' | grep -qx guest; then
        log "user guest missing, adding it"
        rabbitmqctl -q add_user guest guest || die "could not add user guest"
    fi
    if ! rabbitmqctl -q authenticate_user guest guest >/dev/null 2>&1; then
        log "resetting guest's password to 'guest'"
        rabbitmqctl -q change_password guest guest || die "could not reset guest password"
    fi
    # Administrator so the tests may use the management API as guest.
    rabbitmqctl -q set_user_tags guest administrator >/dev/null || die "could not tag guest"
    rabbitmqctl -q set_permissions -p / guest '.*' '.*' '.*' >/dev/null \
        || die "could not set guest permissions on /"
}

# The user EXTERNAL logs in as (the client certificate's CN). No password, so
# the certificate is the only way in.
ensure_cert_user() {
    if ! rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$CLIENT_CN"; then
        log "adding user $CLIENT_CN (SASL EXTERNAL, no password)"
        # add_user insists on a password: a random one, cleared right away.
        rabbitmqctl -q add_user "$CLIENT_CN" "$(openssl rand -hex 16)" >/dev/null \
            || die "could not add user $CLIENT_CN"
        rabbitmqctl -q clear_password "$CLIENT_CN" >/dev/null \
            || die "could not clear the password of $CLIENT_CN"
    fi
    rabbitmqctl -q set_permissions -p / "$CLIENT_CN" '.*' '.*' '.*' >/dev/null \
        || die "could not set $CLIENT_CN permissions on /"
}

# Log in over AMQP like a client would (PLAIN guest/guest, vhost /): this
# also catches loopback_users or permission problems rabbitmqctl cannot see.
# With "tls": over TLS on $TLS_PORT with the client certificate and EXTERNAL,
# which checks the listener, the certificates and the certificate's user.
amqp_login() {
    if ! command -v python3 >/dev/null; then
        log "python3 not found; skipping the AMQP login check"
        return 0
    fi
    local args=("$HOST" "$AMQP_PORT")
    [[ ${1:-} == tls ]] && args=(localhost "$TLS_PORT" "$CERTS_DIR")
    python3 - "${args[@]}" <<'PY'
import socket, ssl, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
tls = len(sys.argv) > 3
if tls:
    ctx = ssl.create_default_context(cafile=sys.argv[3] + "/ca.pem")
    ctx.load_cert_chain(sys.argv[3] + "/client.pem", sys.argv[3] + "/client.key")
    try:
        s = ctx.wrap_socket(s, server_hostname=sys.argv[1])
    except OSError as exc:
        sys.exit("TLS handshake failed: %s" % exc)
def recv(n):
    b = b""
    while len(b) < n:
        try:
            c = s.recv(n - len(b))
        except OSError:
            c = b""
        if not c:
            sys.exit("broker closed the connection (bad credentials or vhost?)")
        b += c
    return b
def method():
    _, _, size = struct.unpack(">BHI", recv(7))
    body = recv(size + 1)[:-1]
    cm = struct.unpack(">HH", body[:4])
    if cm == (10, 50):  # connection.close: report the broker's reason
        sys.exit("broker refused: %s" % body[7 : 7 + body[6]].decode(errors="replace"))
    return cm, body[4:]
def expect(want, what):
    cm, args = method()
    if cm != want:
        sys.exit("expected %s, got class/method %r" % (what, cm))
    return args
def send(cm, args):
    p = struct.pack(">HH", *cm) + args
    s.sendall(struct.pack(">BHI", 1, 0, len(p)) + p + b"\xce")
sstr = lambda v: bytes([len(v)]) + v
s.sendall(b"AMQP\x00\x00\x09\x01")
expect((10, 10), "connection.start")
mech, auth = (b"EXTERNAL", b"") if tls else (b"PLAIN", b"\x00guest\x00guest")
send((10, 11), b"\0\0\0\0" + sstr(mech) + struct.pack(">I", len(auth)) + auth + sstr(b"en_US"))
tune = expect((10, 30), "connection.tune")
send((10, 31), tune[:6] + b"\0\0")  # accept channel_max/frame_max, no heartbeat
send((10, 40), sstr(b"/") + sstr(b"") + b"\0")
expect((10, 41), "connection.open-ok")
send((10, 50), struct.pack(">H", 200) + sstr(b"bye") + b"\0\0\0\0")
expect((10, 51), "connection.close-ok")
PY
}

# Run the server in the background in its own session rather than with
# -detached: same effect, but its output (early boot errors) is kept.
start_server() {
    (
        # Do not hold the caller's other fds (e.g. a CI runner's pipes) open
        # for the broker's lifetime.
        for fd in "/proc/$BASHPID/fd/"*; do
            fd=${fd##*/}
            if ((fd > 2)); then { eval "exec $fd>&-"; } 2>/dev/null || true; fi
        done
        exec setsid rabbitmq-server </dev/null >"$STARTUP_LOG" 2>&1
    ) &
    SERVER_PID=$!
}

# True once something accepts TCP on 127.0.0.1:$1, polling for up to $2 s.
wait_port() {
    local i
    for ((i = 0; i < $2; i++)); do
        port_open "$1" && return 0
        sleep 1
    done
    port_open "$1"
}

# Everything this script sets up is there: AMQP, TLS and the certificates.
broker_ready() {
    port_open $AMQP_PORT && port_open $TLS_PORT && certs_ok
}

# Stop our node and wait until its process has exited.
stop_node() {
    # With the pid file, stop also waits until the OS process has exited, so
    # an immediate 'start' does not race the dying node.
    local args=()
    [[ -s $PID_FILE ]] && args=("$PID_FILE")
    rabbitmqctl -q stop "${args[@]}" >/dev/null || return 1
    rm -f "$PID_FILE"
}

# Start the node unless it is already running, and wait until it is up.
boot_node() {
    local t0=$SECONDS
    if node_pid_alive; then
        log "node $NODE is already running (pid $(cat "$PID_FILE")); waiting for it"
    else
        # A stale pid file from a killed node would make 'rabbitmqctl wait'
        # watch a dead pid and fail.
        rm -f "$PID_FILE"
        log "starting $NODE (output in $STARTUP_LOG)"
        start_server
        # The pid file appears early in boot; if the server dies before that
        # (bad config), fail now rather than after the full timeout.
        until [[ -s $PID_FILE ]]; do
            kill -0 "$SERVER_PID" 2>/dev/null || die "rabbitmq-server exited during startup"
            ((SECONDS - t0 < WAIT_TIMEOUT)) || die "no pid file after ${WAIT_TIMEOUT}s"
            sleep 0.5
        done
    fi

    rabbitmqctl -q wait --timeout $WAIT_TIMEOUT "$PID_FILE" >/dev/null \
        || die "node did not come up ('rabbitmqctl wait' failed after $((SECONDS - t0))s)"

    # 'wait' returns once the rabbit app is up; the listeners follow it.
    wait_port $AMQP_PORT 30 || die "node is up but $HOST:$AMQP_PORT does not accept connections"
}

cmd_start() {
    if broker_ready; then
        log "something already accepts connections on $HOST:$AMQP_PORT and :$TLS_PORT; using it"
        return 0
    fi
    # Installing and starting both need root (the server runs itself as user
    # rabbitmq via su).
    if [[ $EUID -ne 0 ]]; then
        if port_open $AMQP_PORT; then
            # The plain-AMQP tests can still use it; the TLS tests will fail.
            log "WARNING: $HOST:$AMQP_PORT is up but TLS on :$TLS_PORT or the certificates in" \
                "$CERTS_DIR are not; run this script as root to set them up"
            return 0
        fi
        command -v rabbitmq-server >/dev/null \
            || fail "rabbitmq-server is not installed; run this script as root to install it" \
                "(or: apt-get install rabbitmq-server)"
        fail "nothing listens on $HOST:$AMQP_PORT and starting rabbitmq-server needs root"
    fi
    if command -v flock >/dev/null; then
        exec 9>>"$LOCK_FILE" || fail "cannot open $LOCK_FILE"
        flock -w 300 9 || fail "timed out waiting for another 'broker.sh start'"
        # Whoever held the lock may have started the broker meanwhile.
        if broker_ready; then
            log "RabbitMQ is up on $HOST:$AMQP_PORT and :$TLS_PORT"
            return 0
        fi
    fi
    if port_open $AMQP_PORT && ! node_pid_alive; then
        # Not our node (e.g. a container's published port): we cannot
        # reconfigure it, and a node of ours could not bind the port.
        log "WARNING: a broker that is not $NODE accepts connections on $HOST:$AMQP_PORT;" \
            "using it (without TLS on :$TLS_PORT or certificates in $CERTS_DIR the TLS tests fail)"
        return 0
    fi
    LOG_SKIP=$(wc -l <"$LOG_DIR/${NODE}.log" 2>/dev/null) || LOG_SKIP=0
    install_server
    install_openssl
    ensure_certs
    write_config
    enable_plugins

    local t0=$SECONDS
    # A node that is up (AMQP port open) but runs an older config without the
    # TLS listener, or the certificates just replaced, only picks up the new
    # ones on a restart. The short wait covers a node that has opened 5672 but
    # not yet 5671.
    if node_pid_alive && port_open $AMQP_PORT \
        && { ((CERTS_MADE)) || ! wait_port $TLS_PORT 3; }; then
        log "restarting $NODE to pick up TLS on $HOST:$TLS_PORT and the certificates"
        stop_node || die "could not stop $NODE for the restart"
    fi
    boot_node
    wait_port $TLS_PORT 30 || die "node is up but $HOST:$TLS_PORT (TLS) does not accept connections"

    ensure_guest
    ensure_cert_user
    amqp_login || die "AMQP login as guest/guest on vhost / failed"
    amqp_login tls || die "AMQP login over TLS on :$TLS_PORT with EXTERNAL as $CLIENT_CN failed"
    log "RabbitMQ ready on $HOST:$AMQP_PORT after $((SECONDS - t0))s (guest/guest, vhost /)"
    log "TLS on $HOST:$TLS_PORT; CA, server and client certificates in $CERTS_DIR" \
        "(client certificate logs in with EXTERNAL as $CLIENT_CN)"
}

cmd_stop() {
    if ! command -v rabbitmqctl >/dev/null; then
        log "rabbitmqctl not installed; nothing to stop"
        return 0
    fi
    # rabbitmqctl refuses other users, which would look like "not running".
    [[ $EUID -eq 0 ]] || fail "stopping the broker needs root"
    # Ask first: 'rabbitmqctl stop <pidfile>' against a node that is not
    # running waits for the pid file forever.
    if ! rabbitmqctl -q ping >/dev/null 2>&1; then
        log "$NODE is not running"
        rm -f "$PID_FILE"
        return 0
    fi
    if ! stop_node; then
        log "ERROR: rabbitmqctl stop failed (see $LOG_DIR/${NODE}.log)"
        exit 1
    fi
    log "stopped $NODE"
}

cmd_status() {
    if port_open $AMQP_PORT; then
        echo "running: $HOST:$AMQP_PORT accepts connections"
        if port_open $TLS_PORT; then
            echo "TLS: $HOST:$TLS_PORT accepts connections (certificates in $CERTS_DIR)"
        else
            echo "TLS: nothing accepts connections on $HOST:$TLS_PORT"
        fi
        return 0
    fi
    echo "not running: nothing accepts connections on $HOST:$AMQP_PORT"
    return 1
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
certs-dir) echo "$CERTS_DIR" ;;
*)
    echo "usage: $0 start|stop|status|certs-dir" >&2
    exit 2
    ;;
esac
