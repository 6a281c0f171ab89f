#!/usr/bin/python3
"""Browser tests of the office page: the real `lontar-agent serve` on loopback, driven
by Debian's headless chromium through chromedriver (python3-selenium), syncing with a
real `lontar-server`. Usage: web_test.py AGENT_BIN SERVER_BIN ARTIFACT_DIR

Screenshots of the main pages are written to ARTIFACT_DIR (the build folder)."""
import base64
import hashlib
import http.client
import os
import re
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

AGENT, SERVER, ARTIFACTS = sys.argv[1], sys.argv[2], sys.argv[3]
del sys.argv[1:4]

ORIGIN = "lontar.test/jatim"
PASS = "rahasia-kantor-1"


def nik(serial, day=1, month=1, yy=80, female=False, regency="3578", district="01"):
    return "%s%s%02d%02d%02d%04d" % (regency, district, day + (40 if female else 0), month, yy, serial)


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r.stdout


class Env:
    """One lontar-server, two offices (SBY-DARMO by CLI, SBY-RUNGKUT by the web page)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lontar-web-")
        self.procs = []
        sdata = os.path.join(self.dir, "server")
        out = run([SERVER, "init", "--data", sdata, "--origin", ORIGIN])
        self.key = re.search(re.escape(ORIGIN) + r"\+\S+", out).group(0)
        conf = os.path.join(sdata, "server.toml")
        text = re.sub(r"port = \d+", "port = 0", open(conf).read())
        open(conf, "w").write(text)
        self.server = self.start([SERVER, "run", "--config", conf], "server.log")
        line = self.server.stdout.readline()
        self.url = re.search(r"listening on (https://\S+)", line).group(1)
        self.admin = [ "--server", self.url, "--server-key", self.key, "--admin-key", os.path.join(sdata, "admin.key")]
        self.darmo = self.office("SBY-DARMO", "Surabaya Darmo")
        self.rungkut = self.office("SBY-RUNGKUT", "Surabaya Rungkut")

    def start(self, args, log, env=None):
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(os.path.join(self.dir, log), "w"), text=True,
                             env=env)
        self.procs.append(p)
        return p

    def office(self, oid, name):
        data = os.path.join(self.dir, oid)
        out = run([AGENT, "--data", data, "init", "--office", oid, "--name", name, "--server", self.url,
                   "--server-key", self.key])
        key = re.search(r"public key:\s+([0-9a-f]{64})", out).group(1)
        run([SERVER, "office", "add", "--id", oid, "--name", name, "--key", key] + self.admin)
        return data

    def agent(self, data, *args, env=None):
        return run([AGENT, "--data", data] + list(args), env=env)

    def close(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def enroll_args(n, name):
    return ["enroll", "--nik", n, "--name", name, "--birth-date", "1980-01-01", "--occupation", "TAGANA",
            "--coverage-start", "2018-05-14"]


class OfficePage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = env = Env()
        # SBY-DARMO enrolled two people and synced before SBY-RUNGKUT's day.
        env.agent(env.darmo, *enroll_args(nik(11), "Darmo Satu"), env={**os.environ, "LONTAR_OPERATOR": "budi"})
        env.agent(env.darmo, *enroll_args(nik(12), "Darmo Dua"), env={**os.environ, "LONTAR_OPERATOR": "budi"})
        env.agent(env.darmo, "sync")
        # SBY-RUNGKUT enrolled nik(11) too, offline (its replica did not know): the centre will reject it.
        env.agent(env.rungkut, *enroll_args(nik(11), "Rungkut Ganda"), env={**os.environ, "LONTAR_OPERATOR": "ani"})
        passfile = os.path.join(env.dir, "clerk.pass")
        with open(passfile, "w") as f:
            f.write(PASS + "\n")
        env.agent(env.rungkut, "clerk", "add", "siti", "--name", "Siti Aminah", "--clerk-passphrase-file", passfile)
        cls.serve = env.start([AGENT, "--data", env.rungkut, "serve", "--listen", "127.0.0.1:0"], "serve.log")
        line = cls.serve.stdout.readline()
        cls.base = re.search(r"(http://127\.0\.0\.1:\d+)/", line).group(1)
        cls.port = int(cls.base.rsplit(":", 1)[1])
        # The office certificate for desks on a LAN (test_12), made before the browser starts so
        # that the browser can be told to trust that one key and no other (as a clerk who checked
        # the fingerprint accepts it once).
        out = env.agent(env.rungkut, "serve", "--show-certificate")
        cls.fingerprint = re.search(r"SHA-256\) .*: ([0-9A-F:]{95})", out).group(1)
        crt = os.path.join(env.rungkut, "web-tls.crt")
        pub = subprocess.run(["openssl", "x509", "-in", crt, "-pubkey", "-noout"], capture_output=True, check=True).stdout
        spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, capture_output=True,
                              check=True).stdout
        cls.spki = base64.b64encode(hashlib.sha256(spki).digest()).decode()
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768",
                  "--disable-gpu", "--lang=id", "--ignore-certificate-errors-spki-list=" + cls.spki):
            opts.add_argument(a)
        cls.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        cls.driver.set_page_load_timeout(60)
        cls.signed_in = False

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.env.close()

    # ---- helpers ----
    def go(self, path):
        self.driver.get(self.base + path)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def shot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.driver.save_screenshot(os.path.join(ARTIFACTS, name + ".png"))

    def wait_for(self, css):
        return WebDriverWait(self.driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def sign_in(self):
        if OfficePage.signed_in:
            return
        self.go("/")
        self.assertIn("/login", self.driver.current_url)
        self.shot("01-sign-in")
        self.driver.find_element(By.ID, "clerk_id").send_keys("siti")
        self.driver.find_element(By.ID, "passphrase").send_keys(PASS + Keys.ENTER)
        self.wait_for("#clerk")
        OfficePage.signed_in = True

    def raw(self, method, path, headers, body=None, port=None, tls=False):
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # pinned below by the certificate's fingerprint
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=ctx)
            c.connect()
            der = c.sock.getpeercert(binary_form=True)
            self.assertEqual(":".join("%02X" % b for b in hashlib.sha256(der).digest()), self.fingerprint)
        else:
            c = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read().decode()
        c.close()
        return r.status, data

    def session_cookie(self):
        c = self.driver.get_cookie("lontar_session")
        self.assertIsNotNone(c)
        return "lontar_session=" + c["value"]

    def csrf(self):
        return self.driver.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")

    def fill(self, values):
        for k, v in values.items():
            el = self.driver.find_element(By.ID, k)
            if el.tag_name == "select":
                Select(el).select_by_value(v)
            else:
                el.clear()
                el.send_keys(v)

    # ---- tests, in order ----
    def test_01_no_session_refused(self):
        status, _ = self.raw("GET", "/sync", {"Host": "127.0.0.1:%d" % self.port})
        self.assertEqual(status, 303)
        status, body = self.raw("POST", "/sync", {"Host": "127.0.0.1:%d" % self.port, "Origin": self.base,
                                                  "Content-Type": "application/x-www-form-urlencoded"}, "csrf=x")
        self.assertEqual(status, 401)

    def test_02_foreign_host_refused(self):
        status, _ = self.raw("GET", "/login", {"Host": "attacker.example:%d" % self.port})
        self.assertEqual(status, 421)

    def test_03_sign_in_and_dashboard(self):
        self.sign_in()
        self.assertIn("Hari ini", self.text())
        self.assertIn("Siti Aminah", self.text())
        self.shot("02-dashboard")

    def test_04_cross_origin_post_refused(self):
        self.sign_in()
        self.go("/")
        token = self.csrf()
        body = urllib.parse.urlencode({"csrf": token})
        status, _ = self.raw("POST", "/sync", {"Host": "127.0.0.1:%d" % self.port, "Origin": "http://attacker.example",
                                               "Cookie": self.session_cookie(),
                                               "Content-Type": "application/x-www-form-urlencoded"}, body)
        self.assertEqual(status, 403)
        status, _ = self.raw("POST", "/logout", {"Host": "127.0.0.1:%d" % self.port, "Origin": self.base,
                                                 "Cookie": self.session_cookie(),
                                                 "Content-Type": "application/x-www-form-urlencoded"}, "csrf=wrong")
        self.assertEqual(status, 403)

    def test_05_search_before_create_and_enroll_with_live_nik_check(self):
        self.sign_in()
        self.go("/record/enroll")
        self.assertIn("/search", self.driver.current_url)  # the form opens from the search
        q = self.driver.find_element(By.ID, "q")
        q.send_keys(nik(21) + Keys.ENTER)
        self.wait_for("#enroll-new").click()
        field = self.wait_for("#nik")
        self.assertEqual(field.get_attribute("value"), nik(21))
        WebDriverWait(self.driver, 30).until(
            lambda d: d.find_element(By.ID, "birth_date").get_attribute("value") == "1980-01-01")
        self.assertEqual(self.driver.find_element(By.ID, "sex").get_attribute("value"), "male")
        self.assertEqual(self.driver.find_element(By.ID, "regency").get_attribute("value"), "3578")
        self.assertIn("1 Januari 1980", self.driver.find_element(By.ID, "nik-info").text)
        # A disagreement shows at once, before anything is sent.
        Select(self.driver.find_element(By.ID, "sex")).select_by_value("female")
        WebDriverWait(self.driver, 30).until(lambda d: "Jenis kelamin tidak sesuai" in d.find_element(By.ID, "nik-msg").text)
        self.shot("03-enroll-live-check")
        # Sent anyway, the office refuses it with the CLI's message, and records nothing.
        self.fill({"name": "Wati Ganda", "coverage_start": "2018-05-14"})
        self.driver.find_element(By.ID, "save").click()
        err = self.wait_for(".alert.error")
        self.assertIn("nik", self.text().lower())
        self.assertNotIn("Tercatat", self.text())
        # Fixed, it is recorded and the receipt opens.
        Select(self.driver.find_element(By.ID, "sex")).select_by_value("male")
        self.driver.find_element(By.ID, "save").click()
        self.wait_for("#recorded")
        self.assertIn("Tercatat", self.text())
        self.assertIn("siti", self.text())

    def test_06_invalid_nik_is_refused_next_to_the_field(self):
        self.sign_in()
        self.go("/record/enroll?nik=3578010113800001")  # month 13 does not exist
        WebDriverWait(self.driver, 30).until(lambda d: "NIK tidak sah" in d.find_element(By.ID, "nik-msg").text)

    def test_07_flagged_payout_is_confirmed_in_a_dialog(self):
        self.sign_in()
        self.go("/record/contribute?nik=" + nik(21))
        self.fill({"first_month": "2018-05", "months": "12", "jkk": "120000", "jkm": "81600", "receipt_no": "KW-0001"})
        self.driver.find_element(By.ID, "save").click()
        self.wait_for("#recorded")
        self.go("/record/claim?nik=" + nik(21))
        self.fill({"claim_no": "SBY-RUNGKUT/2018/0001", "event_date": "2018-06-01", "claimant_name": "Siti Ganda"})
        self.driver.find_element(By.ID, "save").click()
        self.wait_for("#recorded")
        self.go("/record/pay")
        self.fill({"claim_no": "SBY-RUNGKUT/2018/0001", "amount": "30.000.000", "beneficiary": "Siti Ganda",
                   "reference": "BRI-778812"})
        self.driver.find_element(By.ID, "save").click()
        dialog = self.wait_for("dialog#confirm-dialog")
        self.assertIn("melebihi", dialog.text)
        self.shot("04-flagged-payout-dialog")
        self.driver.find_element(By.ID, "confirm-yes").click()
        self.wait_for("#recorded")
        self.assertIn("Rp 30.000.000", self.text())
        self.shot("05-receipt")

    def test_08_receipt_prints_to_pdf(self):
        self.sign_in()
        self.go("/search?q=" + nik(21))
        self.driver.find_element(By.LINK_TEXT, nik(21)).click()
        self.wait_for("#entries")
        self.shot("06-person")
        self.driver.find_element(By.LINK_TEXT, "Tanda terima").click()
        self.wait_for("#receipt svg")
        pdf = self.driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})
        path = os.path.join(ARTIFACTS, "receipt.pdf")
        with open(path, "wb") as f:
            f.write(base64.b64decode(pdf["data"]))
        text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
        self.assertIn("Tanda terima", text)
        self.assertIn(nik(21), text)
        self.assertIn("Surabaya Rungkut", text)
        self.assertNotIn("Sinkronisasi", text)  # the menu does not print

    def test_09_sync_shows_the_central_rejection(self):
        self.sign_in()
        self.go("/sync")
        self.driver.find_element(By.ID, "sync-button").click()
        result = self.wait_for("#sync-result")
        self.assertIn("tersinkron", result.text)
        queue = self.wait_for("#queue")
        self.assertIn("NIK ini sudah terdaftar", queue.text)
        self.assertIn("ditolak", queue.text)
        self.assertIn("ditandai", queue.text)  # the payout above the schedule
        self.shot("07-sync")
        # The replica now knows the other office's people.
        self.go("/search?q=" + nik(12))
        self.assertIn("Sudah terdaftar oleh SBY-DARMO (Surabaya Darmo)", self.wait_for("#elsewhere").text)

    def test_10_language_switch_is_remembered(self):
        self.sign_in()
        self.go("/sync")
        self.driver.find_element(By.ID, "lang-switch").click()
        self.wait_for("#sync-button")
        self.assertEqual(self.driver.find_element(By.ID, "sync-button").text, "Sync now")
        self.go("/")
        self.assertIn("Today", self.text())
        self.shot("08-dashboard-en")
        self.driver.find_element(By.ID, "lang-switch").click()
        self.wait_for("#today")
        self.assertIn("Hari ini", self.text())

    def test_11_import_a_partner_list_through_the_preview(self):
        self.sign_in()
        path = os.path.join(self.env.dir, "daftar dinsos.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("NIK;Nama Lengkap;Tgl. Lahir;Jenis Kelamin;Pekerjaan;TMT;Catatan;Kolom Aneh\r\n")
            f.write('%s;"Siti ""Ani"" Rahayu";01-01-1980;P;TAGANA;14-05-2018;"kader; RW 03";x\r\n' % nik(31, female=True))
            f.write("%s;Bambang Hartono;1 Januari 1980;L;TAGANA;14-05-2018;;\r\n" % nik(32))
            f.write('%s;"Dewi, Lestari";01/01/1980;L;TAGANA;14-05-2018;;\r\n' % nik(33))
            f.write("%s;Rungkut Ganda;01-01-1980;L;TAGANA;14-05-2018;;\r\n" % nik(11))  # enrolled here before
            f.write("35780101018000;Nik Pendek;01-01-1980;L;TAGANA;14-05-2018;;\r\n")
            f.write("%s;Tanggal Salah;31-02-1980;L;TAGANA;14-05-2018;;\r\n" % nik(34))
            f.write("%s;Bambang Lagi;01-01-1980;L;TAGANA;14-05-2018;;\r\n" % nik(32))
        self.go("/import")
        self.driver.find_element(By.ID, "import-file").send_keys(path)
        self.shot("09-import-form")
        self.driver.find_element(By.ID, "import-preview").click()
        counts = self.wait_for("#import-counts")
        self.assertEqual(self.driver.find_element(By.ID, "count-rows").text, "7")
        self.assertEqual(self.driver.find_element(By.ID, "count-recorded").text, "3")
        self.assertEqual(self.driver.find_element(By.ID, "count-already").text, "1")
        self.assertEqual(self.driver.find_element(By.ID, "count-rejected").text, "3")
        self.assertIn("akan dicatat", counts.text)
        notes = self.driver.find_element(By.ID, "import-notes").text
        self.assertIn("'Kolom Aneh' tidak dikenal", notes)
        self.assertIn("'Catatan' tidak punya tempat", notes)
        head = self.driver.find_element(By.ID, "import-head").text
        self.assertIn('Siti "Ani" Rahayu', head)  # the quotes as the engine reads them
        self.assertIn("→ nik", head)
        rejects = self.driver.find_element(By.ID, "import-rejects").text
        self.assertIn("is not 16 digits", rejects)
        self.assertIn("bukan tanggal yang ada", rejects)
        self.assertIn("baris 3", rejects)
        self.shot("10-import-preview")
        # Everything the page loaded came from the agent itself.
        urls = self.driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        self.assertTrue(urls)
        for u in urls:
            self.assertTrue(u.startswith(self.base + "/"), u)
        # Nothing is recorded by the preview.
        self.go("/search?q=Bambang")
        self.assertNotIn("Bambang Hartono", self.text())
        self.driver.back()
        self.wait_for("#import-confirm").click()
        done = self.wait_for("#import-done")
        self.assertIn("3 dari 7 baris dicatat", done.text)
        self.shot("11-import-done")
        # The rejects file: the rows as read plus a reason column, for correcting and importing again.
        link = self.driver.find_element(By.ID, "rejects-download").get_attribute("href")
        status, body = self.raw("GET", urllib.parse.urlparse(link).path + "?" + urllib.parse.urlparse(link).query,
                                {"Host": "127.0.0.1:%d" % self.port, "Cookie": self.session_cookie()})
        self.assertEqual(status, 200)
        lines = body.lstrip("\ufeff").splitlines()
        self.assertTrue(lines[0].endswith(",reason"), lines[0])
        self.assertEqual(len(lines), 4)
        status, _ = self.raw("GET", urllib.parse.urlparse(link).path + "?" + urllib.parse.urlparse(link).query,
                             {"Host": "127.0.0.1:%d" % self.port})
        self.assertEqual(status, 303)  # no session, no file
        self.go("/search?q=Bambang")
        self.assertIn("Bambang Hartono", self.text())
        # Partial, case- and space-insensitive (the store's folded-name index), and a NIK prefix.
        self.go("/search?q=" + urllib.parse.quote("bambang HART"))
        self.assertIn("Bambang Hartono", self.text())
        self.go("/search?q=" + nik(31, female=True)[:10])
        self.assertIn('Siti "Ani" Rahayu', self.text())
        self.go("/search?q=" + nik(31, female=True))
        self.assertIn('Siti "Ani" Rahayu', self.text())

    def test_11b_update_from_the_person_page_with_a_preview(self):
        self.sign_in()
        self.go("/person?nik=" + nik(31, female=True))
        self.wait_for("#update-link").click()
        self.fill({"phone": "081234567890", "heirs": "Budi Rahayu:spouse"})
        self.driver.find_element(By.ID, "update-preview-button").click()
        preview = self.wait_for("#update-preview")
        self.assertIn("081234567890", preview.text)
        self.assertIn("Budi Rahayu:spouse", preview.text)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#update-preview tr.changed")), 2)
        self.shot("12-update-preview")
        self.driver.find_element(By.ID, "update-yes").click()
        self.wait_for("#recorded")
        # The form now starts from the new details.
        self.go("/update?nik=" + nik(31, female=True))
        self.assertEqual(self.wait_for("#phone").get_attribute("value"), "081234567890")
        # A mistyped name is corrected the same way (participant.update v2); the preview shows one change.
        self.fill({"name": "Dewi Koreksi Rahayu"})
        self.driver.find_element(By.ID, "update-preview-button").click()
        preview = self.wait_for("#update-preview")
        self.assertIn("Dewi Koreksi Rahayu", preview.text)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#update-preview tr.changed")), 1)
        self.driver.find_element(By.ID, "update-yes").click()
        self.wait_for("#recorded")
        self.go("/update?nik=" + nik(31, female=True))
        self.assertEqual(self.wait_for("#name").get_attribute("value"), "Dewi Koreksi Rahayu")

    def test_12_lan_desks_get_https_with_the_office_certificate(self):
        # A LAN address always means TLS; tests may bind loopback only, so --tls asks for the
        # same server on 127.0.0.1 (tests/agent/web_test.cpp checks that a LAN address
        # cannot be served without TLS).
        lan = self.env.start([AGENT, "--data", self.env.rungkut, "serve", "--listen", "127.0.0.1:0", "--tls"],
                             "serve-tls.log")
        printed = lan.stdout.readline() + lan.stdout.readline()
        self.assertIn(self.fingerprint, printed)
        base = re.search(r"(https://127\.0\.0\.1:\d+)/", printed).group(1)
        port = int(base.rsplit(":", 1)[1])
        key = os.path.join(self.env.rungkut, "web-tls.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        status, _ = self.raw("GET", "/login", {"Host": "attacker.example:%d" % port}, port=port, tls=True)
        self.assertEqual(status, 421)
        self.driver.get(base + "/")
        self.wait_for("#clerk_id").send_keys("siti")
        self.driver.find_element(By.ID, "passphrase").send_keys(PASS + Keys.ENTER)
        self.wait_for("#clerk")
        self.assertTrue(self.driver.current_url.startswith(base))
        cookie = self.driver.get_cookie("lontar_session")
        self.assertTrue(cookie["secure"] and cookie["httpOnly"])
        self.shot("13-lan-https")
        token = self.csrf()
        # The plain-HTTP origin of the same address is not this page's origin.
        status, _ = self.raw("POST", "/sync", {"Host": "127.0.0.1:%d" % port, "Origin": "http://127.0.0.1:%d" % port,
                                               "Cookie": "lontar_session=" + cookie["value"],
                                               "Content-Type": "application/x-www-form-urlencoded"},
                             urllib.parse.urlencode({"csrf": token}), port=port, tls=True)
        self.assertEqual(status, 403)
        # Plain HTTP on the TLS port gets no page.
        with self.assertRaises(Exception):
            self.raw("GET", "/login", {"Host": "127.0.0.1:%d" % port}, port=port)


if __name__ == "__main__":
    unittest.main(verbosity=2)
