// soak — the real lontar-server under the hostile mix of issue 12 for a bounded time, while
// real offices keep syncing. Not part of the default test run (a long, loaded measurement).
//
// The mix, all on loopback: strangers (valid TLS certificates over unregistered keys) pushing
// 16 MiB bodies in a loop; 1,100 raw TCP connections that never start TLS, re-opened as the
// server closes them; 200 idle TLS connections from strangers, re-opened likewise; oversized
// headers in a loop. Meanwhile every office enrolls a person and syncs, again and again.
//
// Reports: the server's resident memory before, at its peak (VmHWM and the sampled maximum),
// and a few seconds after the attack ends; the offices' sync attempts and success rate; the
// server's refusal counters.
//
// Run: ninja -C build soak && build/tests/soak [--seconds N] [--offices N] [--flood N]
//      (default 60 s, 4 offices, 1,100 raw connections)
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>

#include "sync/hostile.hpp"

using namespace lontar;
using namespace lontar::test;
using namespace lontar::test::hostile;

namespace {

int soak_seconds = 60;
int soak_offices = 4;
int soak_flood = 1100;  // raw TCP connections held open (0: none)

struct Attack {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> bodies_sent{0}, bodies_refused{0}, flood_opened{0}, idle_opened{0}, headers_sent{0};
  std::vector<std::thread> threads;

  void stranger_bodies(const net::Identity& who, unsigned port) {
    const std::string chunk(1 << 20, 'x');
    while (!stop) {
      RawTls c(who, port);
      if (!c.connected()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      c.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 16777216\r\n\r\n");
      for (int i = 0; i < 16 && !stop && c.send(chunk); ++i) {
      }
      ++bodies_sent;
      if (starts_with(c.read_all(), "HTTP/1.1 4")) ++bodies_refused;
    }
  }

  void flood(unsigned port, std::size_t count) {
    asio::io_context ioc;
    std::vector<std::unique_ptr<tcp::socket>> open;
    while (!stop) {
      // Drop the ones the server closed, open new ones up to `count`.
      std::erase_if(open, [](auto& s) {
        char c;
        ssize_t n = ::recv(s->native_handle(), &c, 1, MSG_DONTWAIT | MSG_PEEK);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
      });
      while (open.size() < count && !stop) {
        auto s = std::make_unique<tcp::socket>(ioc);
        boost::system::error_code ec;
        s->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)), ec);
        if (ec) break;
        open.push_back(std::move(s));
        ++flood_opened;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }

  void idle_tls(const net::Identity& who, unsigned port, std::size_t count) {
    std::vector<std::unique_ptr<RawTls>> open;
    while (!stop) {
      std::erase_if(open, [](auto& c) {
        char b;
        ssize_t n = ::recv(c->stream->lowest_layer().native_handle(), &b, 1, MSG_DONTWAIT | MSG_PEEK);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
      });
      while (open.size() < count && !stop) {
        auto c = std::make_unique<RawTls>(who, port);
        if (!c->connected()) break;
        open.push_back(std::move(c));
        ++idle_opened;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  void big_headers(const net::Identity& who, unsigned port) {
    const std::string padding(256 << 10, 'a');
    while (!stop) {
      RawTls c(who, port);
      if (c.connected()) {
        c.send("GET /v1/feed?from=0 HTTP/1.1\r\nHost: x\r\nX-Padding: " + padding + "\r\n\r\n");
        c.read_all();
        ++headers_sent;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
};

}  // namespace

TEST_CASE("soak: offices keep syncing while strangers attack the server") {
  raise_fd_limit(8192);
  Server server;
  server.start();
  std::vector<std::unique_ptr<Office>> offices;
  for (int i = 0; i < soak_offices; ++i) {
    offices.push_back(std::make_unique<Office>(server, "SBY-" + std::to_string(i + 1)));
  }
  for (auto& o : offices) REQUIRE(o->sync().rc == 0);
  const std::uint64_t baseline_kib = proc_kib(server.pid(), "VmRSS:");
  const auto stranger_key = take(crypto::PrivateKey::generate(), "stranger key");
  const auto stranger = take(net::self_signed_identity(stranger_key, "stranger"), "stranger identity");

  Attack attack;
  const unsigned port = server.port();
  for (int i = 0; i < 4; ++i) attack.threads.emplace_back([&] { attack.stranger_bodies(stranger, port); });
  if (soak_flood > 0) attack.threads.emplace_back([&] { attack.flood(port, static_cast<std::size_t>(soak_flood)); });
  attack.threads.emplace_back([&] { attack.idle_tls(stranger, port, 200); });
  attack.threads.emplace_back([&] { attack.big_headers(stranger, port); });

  std::atomic<bool> sampling{true};
  std::atomic<std::uint64_t> rss_max_kib{baseline_kib};
  std::thread sampler([&] {
    while (sampling) {
      rss_max_kib = std::max<std::uint64_t>(rss_max_kib, proc_kib(server.pid(), "VmRSS:"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  std::atomic<int> attempts{0}, successes{0};
  std::mutex failures_mu;
  std::map<std::string, int> failures;  // exit code and message -> count
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(soak_seconds);
  std::vector<std::thread> clerks;
  for (std::size_t k = 0; k < offices.size(); ++k) {
    clerks.emplace_back([&, k] {
      int person = 1;
      while (std::chrono::steady_clock::now() < until) {
        offices[k]->enroll(person++);
        ++attempts;
        auto r = offices[k]->sync();
        if (r.rc == 0) {
          ++successes;
        } else {
          std::lock_guard lock(failures_mu);
          failures[std::to_string(r.rc) + ": " + r.err.substr(0, 200)]++;
        }
      }
    });
  }
  for (auto& t : clerks) t.join();
  attack.stop = true;
  for (auto& t : attack.threads) t.join();
  const std::uint64_t peak_kib = proc_kib(server.pid(), "VmHWM:");
  std::this_thread::sleep_for(std::chrono::seconds(12));  // past the server's memory trim interval (10 s)
  const std::uint64_t after_kib = proc_kib(server.pid(), "VmRSS:");
  sampling = false;
  sampler.join();

  const std::string m = metrics_as(*offices[0], server);
  auto show = [&](const char* name) { return metric(m, name); };
  std::printf(
      "soak: %d s, %d offices, flood of %d raw connections\n"
      "  server RSS: baseline %.1f MiB, peak %.1f MiB (VmHWM; sampled max %.1f MiB), 12 s after the attack %.1f MiB\n"
      "  office syncs: %d of %d succeeded (%.1f %%)\n"
      "  attack: %llu stranger 16 MiB pushes (%llu refused 4xx), %llu raw TCP connections, %llu idle TLS "
      "connections, %llu oversized headers\n"
      "  server counters: refused %lld, evicted %lld, handshake failures %lld, refused at headers %lld, 431 %lld, "
      "503 over budget %lld, unregistered keys %lld\n",
      soak_seconds, soak_offices, soak_flood, baseline_kib / 1024.0, peak_kib / 1024.0, rss_max_kib / 1024.0,
      after_kib / 1024.0, successes.load(), attempts.load(), attempts ? 100.0 * successes / attempts : 0.0,
      static_cast<unsigned long long>(attack.bodies_sent.load()),
      static_cast<unsigned long long>(attack.bodies_refused.load()),
      static_cast<unsigned long long>(attack.flood_opened.load()),
      static_cast<unsigned long long>(attack.idle_opened.load()),
      static_cast<unsigned long long>(attack.headers_sent.load()), show("lontar_http_connections_refused_total"),
      show("lontar_http_connections_evicted_total"), show("lontar_http_tls_handshake_failures_total"),
      show("lontar_http_requests_refused_at_headers_total"), show("lontar_http_headers_too_large_total"),
      show("lontar_http_bodies_over_budget_total"), show("lontar_http_unregistered_keys_total"));
  for (const auto& [what, n] : failures) std::printf("  failed syncs: %d x exit %s\n", n, what.c_str());
  CHECK(attempts > 0);
}

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const bool flood = !std::strcmp(argv[i], "--flood");
    if ((!std::strcmp(argv[i], "--seconds") || !std::strcmp(argv[i], "--offices") || flood) && i + 1 < argc) {
      int v = std::atoi(argv[i + 1]);
      if (v < (flood ? 0 : 1) || v > 86400) {
        std::fprintf(stderr, "soak: %s must be a number from %d to 86400, not '%s'\n", argv[i], flood ? 0 : 1,
                     argv[i + 1]);
        return 2;
      }
      (flood ? soak_flood : !std::strcmp(argv[i], "--seconds") ? soak_seconds : soak_offices) = v;
      ++i;
    } else if (!std::strcmp(argv[i], "--help")) {
      std::printf(
          "usage: soak [--seconds N (default 60)] [--offices N (default 4)] [--flood N raw TCP connections "
          "(default 1100, 0: none)]\n");
      return 0;
    } else {
      rest.push_back(argv[i]);
    }
  }
  doctest::Context ctx;
  ctx.applyCommandLine(static_cast<int>(rest.size()), rest.data());
  return ctx.run();
}
