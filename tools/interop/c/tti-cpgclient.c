/*
 * tti-cpgclient: a small libcpg test client for the totem-ts interop suite (tools/interop).
 *
 * Joins one CPG group, waits until the group has --members processes, multicasts --count unique
 * messages (one every --interval ms), and keeps dispatching until SIGTERM. It writes:
 *   --trace FILE  an EVS trace (shared/EVS-TRACE.md): start, send, deliver, and the ring's
 *                 configuration changes after the start as `conf` reg events (libcpg's totem
 *                 confchg callback), stop;
 *   --seq FILE    the group's event sequence as this process saw it, one line each:
 *                 `D <id>` for a delivery, `C <nodeid>:<pid>,...` for a group configuration change
 *                 (members sorted by node id, then pid).
 * Message ids are the EVS-TRACE ids: first 16 bytes of SHA-256(u32le sender nodeid || payload).
 * Written for this project from the FIPS 180-4 description of SHA-256 and libcpg's public header.
 *
 * `tti-cpgclient --message-id NODEID PAYLOAD` prints the id of one message and exits.
 *
 * Build: gcc -O2 -Wall -o tti-cpgclient tti-cpgclient.c -lcpg
 */
#include <corosync/cpg.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- SHA-256 (FIPS 180-4) */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* The EVS-TRACE message id of (sender, payload) as 32 lowercase hex digits into out[33]. */
static void message_id(uint32_t sender, const uint8_t *payload, size_t len, char out[33])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t block[64];
	size_t total = len + 4, fill = 0, i;
	uint64_t bits = (uint64_t)total * 8;
	uint8_t prefix[4] = { sender & 0xff, (sender >> 8) & 0xff, (sender >> 16) & 0xff, sender >> 24 };

	for (i = 0; i < total; i++) {
		block[fill++] = i < 4 ? prefix[i] : payload[i - 4];
		if (fill == 64) { sha256_block(h, block); fill = 0; }
	}
	block[fill++] = 0x80;
	if (fill > 56) {
		while (fill < 64) block[fill++] = 0;
		sha256_block(h, block);
		fill = 0;
	}
	while (fill < 56) block[fill++] = 0;
	for (i = 0; i < 8; i++) block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_block(h, block);
	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", (unsigned)((h[i / 4] >> (24 - 8 * (i % 4))) & 0xff));
	out[32] = 0;
}

/* ---------------------------------------------------------------- client */
static FILE *trace, *seq;
static uint32_t my_nodeid;
static char ring[64] = "";
static int group_size;
static int seen_initial;
static volatile sig_atomic_t stopping;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct cpg_address *x = a, *y = b;
	if (x->nodeid != y->nodeid) return x->nodeid < y->nodeid ? -1 : 1;
	if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void on_deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t nodeid, uint32_t pid,
		       void *msg, size_t len)
{
	char id[33];
	(void)h; (void)g; (void)pid;
	message_id(nodeid, msg, len, id);
	fprintf(trace, "{\"ev\":\"deliver\",\"node\":%u,\"t\":%.3f,\"id\":\"%s\",\"from\":%u,\"g\":\"agreed\",\"ring\":\"%s\"}\n",
		my_nodeid, now_ms(), id, nodeid, ring);
	fprintf(seq, "D %s\n", id);
}

static void on_confchg(cpg_handle_t h, const struct cpg_name *g,
		       const struct cpg_address *members, size_t n_members,
		       const struct cpg_address *left, size_t n_left,
		       const struct cpg_address *joined, size_t n_joined)
{
	struct cpg_address sorted[CPG_MEMBERS_MAX];
	size_t i;
	(void)h; (void)g; (void)left; (void)n_left; (void)joined; (void)n_joined;
	if (n_members > CPG_MEMBERS_MAX) n_members = CPG_MEMBERS_MAX;
	memcpy(sorted, members, n_members * sizeof(*members));
	qsort(sorted, n_members, sizeof(*sorted), cmp_addr);
	fprintf(seq, "C ");
	for (i = 0; i < n_members; i++)
		fprintf(seq, "%s%u:%u", i ? "," : "", sorted[i].nodeid, sorted[i].pid);
	fprintf(seq, "\n");
	group_size = (int)n_members;
}

static void on_totem_confchg(cpg_handle_t h, struct cpg_ring_id rid, uint32_t n, const uint32_t *list)
{
	uint32_t sorted[CPG_MEMBERS_MAX];
	uint32_t i;
	(void)h;
	if (n > CPG_MEMBERS_MAX) n = CPG_MEMBERS_MAX;
	memcpy(sorted, list, n * sizeof(*list));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	snprintf(ring, sizeof(ring), "%u.%" PRIu64, rid.nodeid, rid.seq);
	/* The first call reports the ring the client started in (CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF),
	 * not a change: the process joined its group in the middle of that configuration, so its
	 * deliveries there are compared by the group sequence (--seq), not as an EVS segment. */
	if (!seen_initial) {
		seen_initial = 1;
		return;
	}
	fprintf(trace, "{\"ev\":\"conf\",\"node\":%u,\"t\":%.3f,\"kind\":\"reg\",\"ring\":\"%s\",\"members\":[",
		my_nodeid, now_ms(), ring);
	for (i = 0; i < n; i++) fprintf(trace, "%s%u", i ? "," : "", sorted[i]);
	fprintf(trace, "]}\n");
}

static void on_signal(int s)
{
	(void)s;
	stopping = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: tti-cpgclient --group G --members M --count N --interval MS --trace FILE --seq FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *group = NULL, *trace_path = NULL, *seq_path = NULL;
	int members = 1, count = 0, interval = 10, i, fd;
	int sent = 0;
	int announced = -1;
	double next_send = 0;
	unsigned int nonce = 0;
	cpg_handle_t handle;
	cpg_model_v1_data_t model;
	struct cpg_name name;
	cs_error_t err;
	FILE *ur;

	if (argc == 4 && !strcmp(argv[1], "--message-id")) {
		/* --message-id NODEID PAYLOAD: prints the EVS-TRACE id (the suite checks it against
		 * @totem-ts/evs-checker's messageId). */
		char id[33];
		message_id((uint32_t)strtoul(argv[2], NULL, 10), (const uint8_t *)argv[3], strlen(argv[3]), id);
		printf("%s\n", id);
		return 0;
	}
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--group")) group = argv[i + 1];
		else if (!strcmp(argv[i], "--members")) members = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--count")) count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--interval")) interval = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--trace")) trace_path = argv[i + 1];
		else if (!strcmp(argv[i], "--seq")) seq_path = argv[i + 1];
		else usage();
	}
	if (i != argc || group == NULL || trace_path == NULL || seq_path == NULL ||
	    strlen(group) > CPG_MAX_NAME_LENGTH || members < 1 || count < 0 || interval < 0)
		usage();
	trace = fopen(trace_path, "w");
	seq = fopen(seq_path, "w");
	if (trace == NULL || seq == NULL) { perror("fopen"); return 1; }
	setvbuf(trace, NULL, _IOLBF, 0);
	setvbuf(seq, NULL, _IOLBF, 0);
	ur = fopen("/dev/urandom", "r");
	if (ur == NULL || fread(&nonce, sizeof(nonce), 1, ur) != 1) { perror("urandom"); return 1; }
	fclose(ur);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	memset(&model, 0, sizeof(model));
	model.model = CPG_MODEL_V1;
	model.cpg_deliver_fn = on_deliver;
	model.cpg_confchg_fn = on_confchg;
	model.cpg_totem_confchg_fn = on_totem_confchg;
	model.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF;
	for (i = 0; (err = cpg_model_initialize(&handle, CPG_MODEL_V1, (cpg_model_data_t *)&model, NULL)) != CS_OK; i++) {
		if (i == 300 || stopping) { fprintf(stderr, "cpg_model_initialize: %d\n", err); return 1; }
		usleep(100000);
	}
	if ((err = cpg_local_get(handle, &my_nodeid)) != CS_OK) { fprintf(stderr, "cpg_local_get: %d\n", err); return 1; }
	fprintf(trace, "{\"ev\":\"start\",\"node\":%u,\"t\":%.3f}\n", my_nodeid, now_ms());
	name.length = (uint32_t)strlen(group);
	memcpy(name.value, group, name.length);
	while ((err = cpg_join(handle, &name)) == CS_ERR_TRY_AGAIN && !stopping) usleep(50000);
	if (err != CS_OK) { fprintf(stderr, "cpg_join: %d\n", err); return 1; }
	cpg_fd_get(handle, &fd);
	fprintf(stderr, "tti-cpgclient: node %u pid %d joined %s\n", my_nodeid, (int)getpid(), group);

	while (!stopping) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait_ms = 100;
		double t = now_ms();
		if (sent < count && group_size >= members) {
			if (t >= next_send) {
				char payload[96];
				struct iovec iov;
				char id[33];
				int len = snprintf(payload, sizeof(payload), "tti:%u:%d:%08x:%d", my_nodeid, (int)getpid(), nonce, sent);
				iov.iov_base = payload;
				iov.iov_len = (size_t)len;
				/* The send line goes out before the message (line-buffered: written now): the
				 * client is killed with SIGKILL in the failure tests, and a line written after
				 * the call could be lost while the message is delivered. A try-again sends the
				 * same payload again later, so the line is written once per message. */
				if (announced != sent) {
					message_id(my_nodeid, (const uint8_t *)payload, (size_t)len, id);
					fprintf(trace, "{\"ev\":\"send\",\"node\":%u,\"t\":%.3f,\"id\":\"%s\",\"g\":\"agreed\"}\n", my_nodeid, now_ms(), id);
					announced = sent;
				}
				err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
				if (err == CS_OK) {
					sent++;
					next_send = t + interval;
				} else if (err != CS_ERR_TRY_AGAIN) {
					fprintf(stderr, "cpg_mcast_joined: %d\n", err);
					return 1;
				} else {
					next_send = t + 5;
				}
			}
			wait_ms = (int)(next_send - t);
			if (wait_ms < 0) wait_ms = 0;
			if (wait_ms > 100) wait_ms = 100;
		}
		if (poll(&p, 1, wait_ms) < 0 && errno != EINTR) { perror("poll"); return 1; }
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			err = cpg_dispatch(handle, CS_DISPATCH_ALL);
			if (err != CS_OK && err != CS_ERR_TRY_AGAIN) { fprintf(stderr, "cpg_dispatch: %d\n", err); return 1; }
		}
	}
	cpg_leave(handle, &name);
	cpg_finalize(handle);
	fprintf(trace, "{\"ev\":\"stop\",\"node\":%u,\"t\":%.3f}\n", my_nodeid, now_ms());
	return 0;
}
