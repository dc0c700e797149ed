/*
 * Host port of the rover MCU firmware (POSIX): the UART is a pseudo-terminal or a TCP socket
 * on 127.0.0.1, time is CLOCK_MONOTONIC in ms.
 *
 *   rover_mcu_host --keys FILE [--pty | --tcp PORT] [--robot-id N] [--soc PCT] [--battery-ah AH]
 *
 * On start it prints one line on stdout naming where to connect, "PTY /dev/pts/N" or
 * "TCP 127.0.0.1:PORT" (PORT 0 picks a free port), then waits for the first client and boots
 * (BOOT event). With a pty, the boot waits until a client has opened the port and a further
 * 200 ms, since openers such as pyserial flush the input buffer right after opening. Later
 * clients reconnect to the same running MCU; TM sent while none is connected is dropped,
 * as on a UART with nothing attached. SIGINT/SIGTERM end it with status 0.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fw_keyfile.h"
#include "fw_rover.h"

#define PTY_SETTLE_MS 200u
#define WRITE_WAIT_MS 1000
#define MAX_KEYFILE_BYTES 65536

typedef enum { LINK_PTY, LINK_TCP } link_kind;

typedef struct {
    link_kind kind;
    int fd;        /* pty master, or the connected TCP client (-1 if none) */
    int listen_fd; /* TCP only */
    unsigned long dropped_bytes;
} host_link;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s --keys FILE [--pty | --tcp PORT] [--robot-id N] [--soc PCT] "
            "[--battery-ah AH]\n",
            argv0);
}

static int fail(const char *what)
{
    fprintf(stderr, "rover_mcu_host: %s: %s\n", what, strerror(errno));
    return 2;
}

/* ---- The UART ------------------------------------------------------------------------------ */

/* True while a client has the pty's slave end open (the master reports POLLHUP otherwise). */
static bool pty_peer_open(int master)
{
    struct pollfd p = {master, POLLIN, 0};
    return poll(&p, 1, 0) >= 0 && (p.revents & POLLHUP) == 0;
}

static void host_write(void *ctx, const uint8_t *frame, size_t len)
{
    host_link *link = ctx;
    if (link->fd < 0 || (link->kind == LINK_PTY && !pty_peer_open(link->fd))) {
        link->dropped_bytes += len;
        return;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = link->kind == LINK_TCP ? send(link->fd, frame + done, len - done, MSG_NOSIGNAL)
                                           : write(link->fd, frame + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {link->fd, POLLOUT, 0};
            if (poll(&p, 1, WRITE_WAIT_MS) > 0 && (p.revents & POLLOUT) != 0) {
                continue;
            }
        }
        link->dropped_bytes += len - done; /* peer gone or not reading: like a UART, drop */
        return;
    }
}

static int open_pty(host_link *link)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        return fail("cannot create a pseudo-terminal");
    }
    const char *slave_name = ptsname(master);
    if (slave_name == NULL) {
        return fail("ptsname");
    }
    /* Raw 8N1 line: no echo, no line editing, no CR/LF translation, no signals. */
    int slave = open(slave_name, O_RDWR | O_NOCTTY);
    struct termios t;
    if (slave < 0 || tcgetattr(slave, &t) != 0) {
        return fail("cannot configure the pseudo-terminal");
    }
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(slave, TCSANOW, &t) != 0) {
        return fail("cannot configure the pseudo-terminal");
    }
    close(slave);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    link->fd = master;
    printf("PTY %s\n", slave_name);
    fflush(stdout);
    while (!g_stop && !pty_peer_open(master)) {
        struct timespec wait = {0, 10 * 1000000L};
        nanosleep(&wait, NULL);
    }
    const uint32_t opened = now_ms();
    while (!g_stop && now_ms() - opened < PTY_SETTLE_MS) {
        struct timespec wait = {0, 10 * 1000000L};
        nanosleep(&wait, NULL);
    }
    return 0;
}

static void accept_client(host_link *link, int timeout_ms)
{
    struct pollfd p = {link->listen_fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
        return;
    }
    int fd = accept(link->listen_fd, NULL, NULL);
    if (fd < 0) {
        return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    link->fd = fd;
}

static int open_tcp(host_link *link, unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return fail("socket");
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        return fail("cannot listen on 127.0.0.1");
    }
    link->listen_fd = fd;
    printf("TCP 127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stdout);
    while (!g_stop && link->fd < 0) {
        accept_client(link, 100);
    }
    return 0;
}

/* Read what has arrived; false if the peer went away. */
static bool pump_input(host_link *link, fw_rover *rover, int timeout_ms)
{
    struct pollfd p = {link->fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
        return true;
    }
    if ((p.revents & POLLIN) == 0) {
        return (p.revents & (POLLHUP | POLLERR)) == 0;
    }
    uint8_t buf[512];
    ssize_t n = read(link->fd, buf, sizeof buf);
    if (n > 0) {
        fw_rover_receive(rover, buf, (size_t)n);
        return true;
    }
    return n < 0 && (errno == EAGAIN || errno == EINTR || errno == EIO);
}

/* ---- Start-up ------------------------------------------------------------------------------ */

static bool parse_number(const char *text, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    const double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= lo && v <= hi)) {
        return false;
    }
    *out = v;
    return true;
}

static int load_keys(fw_rover *rover, const char *path)
{
    static char text[MAX_KEYFILE_BYTES];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "rover_mcu_host: cannot open key file %s: %s\n", path, strerror(errno));
        return 2;
    }
    const size_t len = fread(text, 1, sizeof text, f);
    const bool too_big = len == sizeof text;
    fclose(f);
    if (too_big) {
        fprintf(stderr, "rover_mcu_host: key file %s is larger than %d bytes\n", path,
                MAX_KEYFILE_BYTES);
        return 2;
    }
    fw_key_entry keys[ROVER_MCU_KEY_COUNT];
    size_t count = 0;
    size_t line = 0;
    const fw_keyfile_status status =
        fw_keyfile_parse(text, len, keys, ROVER_MCU_KEY_COUNT, &count, &line);
    if (status != FW_KEYFILE_OK) {
        fprintf(stderr, "rover_mcu_host: %s:%zu: %s\n", path, line,
                fw_keyfile_status_text(status));
        return 2;
    }
    for (size_t i = 0; i < count; ++i) {
        fw_rover_add_key(rover, keys[i].key_id, keys[i].key);
    }
    memset(keys, 0, sizeof keys);
    memset(text, 0, sizeof text);
    if (count == 0) {
        fprintf(stderr, "rover_mcu_host: %s holds no keys\n", path);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *keys_path = NULL;
    link_kind kind = LINK_PTY;
    double port = 0;
    double robot_id = ROVER_MCU_ROBOT_ROVER_R1;
    fw_rover_config config = fw_rover_default_config();
    double soc = (double)config.initial_soc_pct;
    double capacity = (double)config.power.capacity_ah;
    for (int i = 1; i < argc; ++i) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (strcmp(arg, "--pty") == 0) {
            kind = LINK_PTY;
            continue;
        }
        if (value == NULL) {
            ok = false;
        } else if (strcmp(arg, "--keys") == 0) {
            keys_path = value;
        } else if (strcmp(arg, "--tcp") == 0) {
            kind = LINK_TCP;
            ok = parse_number(value, 0, 65535, &port);
        } else if (strcmp(arg, "--robot-id") == 0) {
            ok = parse_number(value, 1, 255, &robot_id);
        } else if (strcmp(arg, "--soc") == 0) {
            ok = parse_number(value, 0, 100, &soc);
        } else if (strcmp(arg, "--battery-ah") == 0) {
            ok = parse_number(value, 1e-6, 1e6, &capacity);
        } else {
            ok = false;
        }
        if (!ok) {
            fprintf(stderr, "rover_mcu_host: bad option %s %s\n", arg, value ? value : "");
            usage(argv[0]);
            return 2;
        }
        ++i;
    }
    if (keys_path == NULL) {
        usage(argv[0]);
        return 2;
    }
    config.robot_id = (uint8_t)robot_id;
    config.initial_soc_pct = (float)soc;
    config.power.capacity_ah = (float)capacity;

    static fw_rover rover;
    host_link link = {kind, -1, -1, 0};
    if (!fw_rover_init(&rover, &config, host_write, &link)) {
        fprintf(stderr, "rover_mcu_host: invalid configuration\n");
        return 2;
    }
    const int keys_status = load_keys(&rover, keys_path);
    if (keys_status != 0) {
        return keys_status;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);

    const int open_status = kind == LINK_PTY ? open_pty(&link) : open_tcp(&link, (unsigned)port);
    if (open_status != 0) {
        return open_status;
    }
    fprintf(stderr, "rover_mcu_host: robot %u, %zu keys, booting\n", (unsigned)config.robot_id,
            rover.keys.count);
    fw_rover_start(&rover, now_ms());
    while (!g_stop) {
        if (link.fd < 0) {
            accept_client(&link, 1);
        } else if (!pump_input(&link, &rover, 1) && kind == LINK_TCP) {
            close(link.fd);
            link.fd = -1;
        }
        fw_rover_tick(&rover, now_ms());
    }
    fprintf(stderr, "rover_mcu_host: stopping (%lu TM bytes dropped with no client)\n",
            link.dropped_bytes);
    return 0;
}
