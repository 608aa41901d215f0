#!/usr/bin/env bash
# Manage a local, loopback-only RabbitMQ for the integration tests.
#
#   scripts/broker.sh start   install (if root) + start + wait until AMQP works
#   scripts/broker.sh stop    stop the node (ok if it is not running)
#   scripts/broker.sh status  exit 0 if 127.0.0.1:5672 accepts TCP, else 1
#
# Tests connect as guest/guest on vhost "/" at 127.0.0.1:5672; the
# management API is at http://127.0.0.1:15672.
set -euo pipefail

HOST=127.0.0.1
AMQP_PORT=5672
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

write_config() {
    mkdir -p "$(dirname "$CONF_FILE")"
    # Rewritten on every start so edits here take effect; must be readable by
    # the rabbitmq user because the server runs as rabbitmq.
    cat >"$CONF_FILE" <<'EOF'
# Written by aioamqp scripts/broker.sh -- test broker, loopback only.
listeners.tcp.default = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
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

# Log in over AMQP like a client would (PLAIN guest/guest, vhost /): this
# also catches loopback_users or permission problems rabbitmqctl cannot see.
amqp_login() {
    if ! command -v python3 >/dev/null; then
        log "python3 not found; skipping the AMQP login check"
        return 0
    fi
    python3 - "$HOST" "$AMQP_PORT" <<'PY'
import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
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
auth = b"\x00guest\x00guest"
send((10, 11), b"\0\0\0\0" + sstr(b"PLAIN") + struct.pack(">I", len(auth)) + auth + sstr(b"en_US"))
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

cmd_start() {
    if port_open $AMQP_PORT; then
        log "something already accepts connections on $HOST:$AMQP_PORT; using it"
        return 0
    fi
    # Installing and starting both need root (the server runs itself as user
    # rabbitmq via su).
    if [[ $EUID -ne 0 ]]; then
        command -v rabbitmq-server >/dev/null \
            || fail "rabbitmq-server is not installed; run this script as root to install it" \
                "(or: apt-get install rabbitmq-server)"
        fail "nothing listens on $HOST:$AMQP_PORT and starting rabbitmq-server needs root"
    fi
    if command -v flock >/dev/null; then
        exec 9>>"$LOCK_FILE" || fail "cannot open $LOCK_FILE"
        flock -w 300 9 || fail "timed out waiting for another 'broker.sh start'"
        # Whoever held the lock may have started the broker meanwhile.
        if port_open $AMQP_PORT; then
            log "RabbitMQ is up on $HOST:$AMQP_PORT"
            return 0
        fi
    fi
    LOG_SKIP=$(wc -l <"$LOG_DIR/${NODE}.log" 2>/dev/null) || LOG_SKIP=0
    install_server
    write_config
    enable_plugins

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

    # 'wait' returns once the rabbit app is up; the AMQP listener follows it.
    local i
    for ((i = 0; i < 30; i++)); do
        port_open $AMQP_PORT && break
        sleep 1
    done
    port_open $AMQP_PORT || die "node is up but $HOST:$AMQP_PORT does not accept connections"

    ensure_guest
    amqp_login || die "AMQP login as guest/guest on vhost / failed"
    log "RabbitMQ ready on $HOST:$AMQP_PORT after $((SECONDS - t0))s (guest/guest, vhost /)"
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
    # With the pid file, stop also waits until the OS process has exited, so
    # an immediate 'start' does not race the dying node.
    local args=()
    [[ -s $PID_FILE ]] && args=("$PID_FILE")
    if ! rabbitmqctl -q stop "${args[@]}" >/dev/null; then
        log "ERROR: rabbitmqctl stop failed (see $LOG_DIR/${NODE}.log)"
        exit 1
    fi
    rm -f "$PID_FILE"
    log "stopped $NODE"
}

cmd_status() {
    if port_open $AMQP_PORT; then
        echo "running: $HOST:$AMQP_PORT accepts connections"
        return 0
    fi
    echo "not running: nothing accepts connections on $HOST:$AMQP_PORT"
    return 1
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
