#!/usr/bin/python3
"""Times a partner list imported through the office page: the real `lontar-agent serve` on
loopback, driven over HTTP as the page's form and progress bar drive it (upload, preview,
confirm, poll /api/import). Prints the preview and the recording time and the progress the
page saw on the way. Usage: web_import.py AGENT_BIN [ROWS]   (default 20000)"""
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

AGENT = sys.argv[1]
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
PASS = "rahasia-kantor-1"


def run(*args):
    subprocess.run([AGENT] + list(args), check=True, capture_output=True)


def main():
    d = tempfile.mkdtemp(prefix="lontar-web-bench-")
    data = os.path.join(d, "office")
    run("--data", data, "init", "--office", "SBY-BENCH", "--name", "Bench")
    with open(os.path.join(d, "p"), "w") as f:
        f.write(PASS + "\n")
    run("--data", data, "clerk", "add", "siti", "--clerk-passphrase-file", os.path.join(d, "p"))
    lines = ["NIK;Nama Lengkap;Tgl. Lahir;Pekerjaan;TMT"]
    for i in range(ROWS):
        lines.append("3578%02d0101%02d%04d;Peserta %d;01-01-19%02d;TAGANA;14-05-2018" %
                     (1 + i // 9999 % 99, 60 + i % 40, 1 + i % 9999, i, 60 + i % 40))
    csv = ("\r\n".join(lines) + "\r\n").encode()
    serve = subprocess.Popen([AGENT, "--data", data, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", serve.stdout.readline()).group(1))
        host = "127.0.0.1:%d" % port
        origin = "http://" + host

        def req(method, path, body=None, headers=None):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            h = {"Host": host, "Origin": origin}
            h.update(headers or {})
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            out = r.status, r.getheaders(), r.read().decode(errors="replace")
            c.close()
            return out

        _, hs, page = req("GET", "/login")
        login = [v.split(";")[0] for k, v in hs if k.lower() == "set-cookie"][0]
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        _, hs, _ = req("POST", "/login", urllib.parse.urlencode({"csrf": token, "clerk": "siti", "passphrase": PASS}),
                       {"Cookie": login, "Content-Type": "application/x-www-form-urlencoded"})
        cookie = [v.split(";")[0] for k, v in hs if k.lower() == "set-cookie" and v.startswith("lontar_session")][0]
        _, _, home = req("GET", "/", headers={"Cookie": cookie})
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', home).group(1)

        def wait(job):
            jid = job.split("=", 1)[1]
            seen = []
            while True:
                _, _, s = req("GET", "/api/import?id=" + jid, headers={"Cookie": cookie})
                if '"done":true' in s:
                    return seen
                seen.append(int(re.search(r'"percent":(\d+)', s).group(1)))
                time.sleep(0.2)

        b = "----lontarbench"
        body = ("--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n--%s\r\nContent-Disposition: "
                "form-data; name=\"kind\"\r\n\r\nenroll\r\n--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                "filename=\"list.csv\"\r\nContent-Type: text/csv\r\n\r\n" % (b, csrf, b, b)).encode() + csv + \
            ("\r\n--%s--\r\n" % b).encode()
        t0 = time.monotonic()
        status, hs, _ = req("POST", "/import", body, {"Cookie": cookie,
                                                       "Content-Type": "multipart/form-data; boundary=" + b})
        job = dict((k.lower(), v) for k, v in hs)["location"]
        seen = wait(job)
        t1 = time.monotonic()
        _, _, preview = req("GET", job, headers={"Cookie": cookie})
        would = re.search(r'id="count-recorded">(\d+)<', preview).group(1)
        status, hs, _ = req("POST", "/import/run", urllib.parse.urlencode({"csrf": csrf, "id": job.split("=", 1)[1]}),
                            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        job2 = dict((k.lower(), v) for k, v in hs)["location"]
        seen2 = wait(job2)
        t2 = time.monotonic()
        _, _, done = req("GET", job2, headers={"Cookie": cookie})
        recorded = re.search(r'id="count-recorded">(\d+)<', done).group(1)
        print("rows %d (%.1f MiB): preview %.1f s (would record %s; progress seen %s), recording %.1f s "
              "(recorded %s; progress seen %s)" % (ROWS, len(csv) / 1048576, t1 - t0, would,
                                                    sorted(set(seen))[:8], t2 - t1, recorded, sorted(set(seen2))[:8]))
    finally:
        serve.terminate()
        serve.wait()


if __name__ == "__main__":
    main()
