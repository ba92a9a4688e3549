/* Small standalone Kafka-protocol broker for tests, built on librdkafka's
 * public (experimental) mock cluster API: rd_kafka_mock_cluster_new().
 * No Kafka server package exists for the platforms the project builds on, so
 * the test suites start this program instead (spec/test-infrastructure.md).
 *
 * Build: gcc -O2 -Wall -o mockbroker mockbroker.c $(pkg-config --cflags --libs rdkafka)
 * Usage: mockbroker [-b brokers] [-t topic:partitions]... [-f bootstrap_file] [-T max_seconds] [-e]
 *   -b N            number of brokers (ids 1..N, default 1)
 *   -t name:parts   pre-create a topic (the mock has no CreateTopics; repeatable)
 *   -f file         also write the bootstrap list to file (atomically, via file.tmp + rename)
 *   -T secs         hard lifetime limit (0 = none)
 *   -e              exit when stdin reaches end-of-file (the parent closed it or died)
 * Prints "BOOTSTRAP=<host:port,...>" on stdout, then runs until SIGTERM/SIGINT,
 * -T expiry, or (with -e) end of stdin.
 *
 * Control commands on stdin, one per line; each answers one line on stdout,
 * "OK ... err=<code>" (err=0 means success) or "ERR ...":
 *   ping                               liveness check, answers "OK ping"
 *   down <broker>                      broker stops accepting/serving connections
 *   up <broker>                        broker serves again
 *   leader <topic> <partition> <broker> move a partition leader (the mock never elects one itself)
 *   rtt <broker> <ms>                  add round-trip latency to a broker
 *   topic <name> <partitions>          create a topic
 *   coordinator <group|transaction> <key> <broker>   pin a group/transaction coordinator
 *   error <apikey> <errcode> <count>   the next <count> requests of <apikey> fail with <errcode>
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>

static volatile sig_atomic_t run = 1;
static void stop(int sig) { (void)sig; run = 0; }

static void usage(const char *argv0) {
  fprintf(stderr, "usage: %s [-b brokers] [-t topic:partitions]... [-f bootstrap_file] [-T max_seconds] [-e]\n", argv0);
}

static void handle_command(rd_kafka_mock_cluster_t *mc, int brokers, char *line) {
  char a[256], b[256];
  int x = 0, y = 0, z = 0;
  if (strcmp(line, "ping") == 0) printf("OK ping\n");
  else if (sscanf(line, "down %d", &x) == 1) printf("OK down %d err=%d\n", x, rd_kafka_mock_broker_set_down(mc, x));
  else if (sscanf(line, "up %d", &x) == 1) printf("OK up %d err=%d\n", x, rd_kafka_mock_broker_set_up(mc, x));
  else if (sscanf(line, "leader %255s %d %d", a, &x, &y) == 3) printf("OK leader %s %d %d err=%d\n", a, x, y, rd_kafka_mock_partition_set_leader(mc, a, x, y));
  else if (sscanf(line, "rtt %d %d", &x, &y) == 2) printf("OK rtt %d %d err=%d\n", x, y, rd_kafka_mock_broker_set_rtt(mc, x, y));
  else if (sscanf(line, "topic %255s %d", a, &y) == 2) printf("OK topic %s err=%d\n", a, rd_kafka_mock_topic_create(mc, a, y, brokers < 3 ? brokers : 3));
  else if (sscanf(line, "coordinator %255s %255s %d", a, b, &x) == 3) printf("OK coordinator %s %s %d err=%d\n", a, b, x, rd_kafka_mock_coordinator_set(mc, a, b, x));
  else if (sscanf(line, "error %d %d %d", &x, &y, &z) == 3 && z > 0 && z <= 1000) {
    rd_kafka_resp_err_t errs[1000];
    for (int i = 0; i < z; i++) errs[i] = (rd_kafka_resp_err_t)y;
    rd_kafka_mock_push_request_errors_array(mc, (int16_t)x, (size_t)z, errs);
    printf("OK error %d %d %d err=0\n", x, y, z);
  }
  else if (line[0]) printf("ERR unknown command: %s\n", line);
  else return; /* empty line: no answer */
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = 1, max_secs = 0, exit_on_eof = 0, opt;
  const char *bfile = NULL;
  char *topics[64]; int ntopics = 0;
  while ((opt = getopt(argc, argv, "b:t:f:T:eh")) != -1) {
    switch (opt) {
    case 'b': brokers = atoi(optarg); break;
    case 't':
      if (ntopics < 64) topics[ntopics++] = optarg;
      else fprintf(stderr, "too many -t options, ignoring %s\n", optarg);
      break;
    case 'f': bfile = optarg; break;
    case 'T': max_secs = atoi(optarg); break;
    case 'e': exit_on_eof = 1; break;
    case 'h': usage(argv[0]); return 0;
    default: usage(argv[0]); return 2;
    }
  }
  if (brokers < 1 || brokers > 64) { fprintf(stderr, "-b must be between 1 and 64\n"); return 2; }
  signal(SIGTERM, stop); signal(SIGINT, stop);
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The rd_kafka_t is only used for book-keeping; keep it quiet. */
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); rd_kafka_destroy(rk); return 1; }
  int topic_errors = 0;
  for (int i = 0; i < ntopics; i++) {
    char *c = strrchr(topics[i], ':');
    int parts = 1;
    if (c) { *c = '\0'; parts = atoi(c + 1); }
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], parts, brokers < 3 ? brokers : 3);
    if (e) { fprintf(stderr, "topic_create %s: %s\n", topics[i], rd_kafka_err2str(e)); topic_errors++; }
  }
  if (topic_errors) { rd_kafka_mock_cluster_destroy(mc); rd_kafka_destroy(rk); return 1; }
  /* librdkafka's mock never sets its ControllerId (always 0, and broker ids
   * start at 1), so clients that need the controller (kafkajs: idempotent
   * producer InitProducerId, admin.createTopics) fail with "Broker 0 not
   * found". The first fields of struct rd_kafka_mock_cluster_s are
   * { char id[32]; rd_kafka_t *rk; int32_t controller_id; } in every 2.x
   * release; verify the rk pointer before patching the controller id. If the
   * layout ever changes, warn and leave the id alone (idempotent producers
   * will then fail against this broker). */
  {
    struct layout { char id[32]; rd_kafka_t *rk; int32_t controller_id; } *l = (void *)mc;
    if (l->rk == rk && memchr(l->id, '\0', sizeof l->id)) { l->controller_id = 1; }
    else fprintf(stderr, "warning: unexpected mock cluster layout; ControllerId left at 0\n");
  }
  const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
  printf("BOOTSTRAP=%s\n", bs); fflush(stdout);
  if (bfile) {
    char tmp[4096]; snprintf(tmp, sizeof tmp, "%s.tmp", bfile);
    FILE *f = fopen(tmp, "w");
    if (f) { fprintf(f, "%s\n", bs); fclose(f); rename(tmp, bfile); }
    else fprintf(stderr, "cannot write %s\n", tmp);
  }
  int waited = 0;
  int stdin_open = 1; char line[512]; size_t llen = 0;
  while (run && (max_secs <= 0 || waited < max_secs * 10)) {
    struct pollfd p = { .fd = 0, .events = POLLIN };
    int n = stdin_open ? poll(&p, 1, 100) : (usleep(100000), 0);
    waited++;
    if (n > 0) {
      ssize_t r = read(0, line + llen, sizeof line - 1 - llen);
      if (r <= 0) { stdin_open = 0; if (exit_on_eof) run = 0; continue; }
      llen += (size_t)r; line[llen] = '\0';
      char *nl;
      while ((nl = strchr(line, '\n'))) {
        *nl = '\0';
        if (nl > line && nl[-1] == '\r') nl[-1] = '\0';
        handle_command(mc, brokers, line);
        llen -= (size_t)(nl + 1 - line); memmove(line, nl + 1, llen + 1);
      }
      if (llen >= sizeof line - 1) { printf("ERR line too long\n"); fflush(stdout); llen = 0; }
    }
  }
  /* No rd_kafka_mock_cluster_destroy()/rd_kafka_destroy() here: destroying the mock cluster can wait up to 1 s
   * for its I/O thread's poll timeout, which would slow every test suite's teardown. The cluster lives only in
   * this process's memory, and exiting closes all of its listeners and connections at once. _exit() rather than
   * exit(): librdkafka's threads are still running, so no atexit/teardown code should run under them. */
  (void)mc; (void)rk;
  fflush(stdout);
  fflush(stderr);
  _exit(0);
}
