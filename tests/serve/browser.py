"""Drive headless Chromium against a running `optlab serve` (called by browser.sh).

usage: browser.py BASE_URL SQLITE_DB SCREENSHOT_DIR

Every expected value is read from the SQLite file itself (not from the server),
so a page that shows wrong numbers fails. Optuna (Debian's python3-optuna)
writes a study with markup for names and then adds trials while the page is
open: they must appear without a reload.
"""
import concurrent.futures
import http.client
import json
import os
import re
import signal
import subprocess
import sqlite3
import sys
import time
import urllib.parse
import urllib.error
import urllib.request

import optuna
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

base, db, shots = sys.argv[1], sys.argv[2], sys.argv[3]
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def wait_for(fn, what, timeout=10.0):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the page may be mid-render
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def close(text, expected, rel=1e-5):
    try:
        return abs(float(text) - expected) <= rel * max(1.0, abs(expected))
    except ValueError:
        return False


# --- the storage's own numbers
con = sqlite3.connect(db)
studies = {n: i for i, n in con.execute("select study_id, study_name from studies")}
adam = studies["tiny/adam"]
complete = con.execute("select t.number, v.value from trials t join trial_values v on v.trial_id = t.trial_id "
                       "where t.study_id = ? and t.state = 'COMPLETE' order by t.number", (adam,)).fetchall()
assert complete, "the tiny run wrote no COMPLETE trial"
best = max(v for _, v in complete)
lr = dict(con.execute("select t.number, p.param_value from trials t join trial_params p on p.trial_id = t.trial_id "
                      "where t.study_id = ? and p.param_name = 'learning_rate'", (adam,)).fetchall())
# an experiment's optimizer studies EXP/OPT: each one's best value (valid-trial accuracy), when that best is
# unique its trial's test accuracy (else None), and its label, by study name
def experiment_bests(exp):
    out = {}
    for sid, name in con.execute("select study_id, study_name from studies where study_name like ?", (exp + "/%",)).fetchall():
        rows = con.execute("select t.trial_id, v.value from trials t join trial_values v on v.trial_id = t.trial_id "
                           "where t.study_id = ? and t.state = 'COMPLETE'", (sid,)).fetchall()
        top = max(v for _, v in rows)
        tops = [tid for tid, v in rows if v == top]
        test = None
        if len(tops) == 1:
            attr = con.execute("select value_json from trial_user_attributes where trial_id = ? and key = 'test_accuracy'",
                               (tops[0],)).fetchone()
            test = json.loads(attr[0]) if attr else None
        label = con.execute("select value_json from study_user_attributes where study_id = ? and key = 'optlab:label'",
                            (sid,)).fetchone()
        out[name] = (top, test, json.loads(label[0]))
    return out


# what a study's trials trained: epochs and the trials' own seconds, summed (the report's cost columns)
def trained(study):
    out = []
    for key in ("epochs", "seconds"):
        vals = [json.loads(v) for (v,) in con.execute(
            "select a.value_json from trial_user_attributes a join trials t on t.trial_id = a.trial_id "
            "join studies s on s.study_id = t.study_id where s.study_name = ? and a.key = ?", (study, key))]
        out.append(sum(v for v in vals if isinstance(v, (int, float)) and v > 0))
    return out


# the experiment "tiny" (the page's subject) and "tiny-base" (browser.sh: random sampler, another seed)
experiment = {k: v[:2] for k, v in experiment_bests("tiny").items()}
labelled = {k.split("/", 1)[1]: v for k, v in experiment_bests("tiny").items()}
baseline = {k.split("/", 1)[1]: v for k, v in experiment_bests("tiny-base").items()}
cost = {opt: (trained("tiny/" + opt), trained("tiny-base/" + opt)) for opt in baseline}
assert len(baseline) == 2, baseline
assert len(experiment) == 2, experiment
con.close()

# --- a study with markup in every name, written by Optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
xss_study = optuna.create_study(study_name=XSS, storage="sqlite:///" + db, direction="minimize")
xss_study.set_user_attr(XSS, XSS)
t = xss_study.ask()
t.suggest_float(XSS, 0.1, 10.0, log=True)
t.set_user_attr(XSS, XSS)
xss_study.tell(t, 1.25)

# --- a study where the value rises and falls with x (best in the middle) and ignores z: a rank correlation
# misses x, the first-order variance share must not
imp_study = optuna.create_study(study_name="importance", storage="sqlite:///" + db,
                                sampler=optuna.samplers.RandomSampler(seed=3))
imp_study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.5) ** 2 + 0 * t.suggest_float("z", 0, 1), n_trials=64)


def variance_share(xs, ys):  # the page's estimator, written again from its definition (epsilon-squared)
    n = len(xs)
    order = sorted(range(n), key=lambda i: xs[i])
    B = max(2, min(10, int(n ** 0.5)))
    groups = [order[b * n // B:(b + 1) * n // B] for b in range(B)]
    mean = sum(ys) / n
    sst = sum((y - mean) ** 2 for y in ys)
    ssb = sum(len(g) * (sum(ys[i] for i in g) / len(g) - mean) ** 2 for g in groups)
    msw = (sst - ssb) / (n - B)
    return max(0.0, min(1.0, (ssb - (B - 1) * msw) / sst))


imp_trials = [t for t in imp_study.trials if t.state == optuna.trial.TrialState.COMPLETE]
imp_expected = {p: variance_share([t.params[p] for t in imp_trials], [t.value for t in imp_trials]) for p in ("x", "z")}

# --- raw HTTP: unknown URLs, traversal, methods (http.client sends the path unnormalised)
def status(method, path):
    c = http.client.HTTPConnection(urllib.parse.urlparse(base).netloc, timeout=5)
    c.request(method, path)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status

for path in ["/nope", "/assets/../../../../etc/passwd", "/assets/..%2f..%2fetc%2fpasswd", "/assets/%2e%2e/index.html",
             "/assets/.stamp", "/../etc/passwd", "/assets/", "/api/nothing"]:
    check(status("GET", path) == 404, f"GET {path} is not 404")
check(status("POST", "/api/studies") == 405, "POST /api/studies is not 405")
check(status("DELETE", "/api/study?name=tiny/adam") == 405, "DELETE is not 405")
check(status("GET", "/api/study?name=no-such-study") == 404, "an unknown study is not 404")
check(status("GET", "/api/experiment?name=no-such-exp&baseline=tiny-base") == 404,
      "an unknown experiment with a known baseline is not 404")
check(status("GET", "/api/experiment?name=tiny&baseline=no-such-base") == 200,
      "a known experiment with an unknown baseline is not 200 (the page shows the experiment)")

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800"]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
console = []
try:
    # 1. overview: the studies, their best values from storage
    driver.get(base)
    row = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, 'tr[data-study="tiny/adam"]'), "the tiny/adam row")
    check(close(row.find_element(By.CSS_SELECTOR, "td.best").text, best), "overview: best value differs from storage")
    links = wait_for(lambda: [a for a in driver.find_elements(By.CSS_SELECTOR, "#studies a") if a.text == XSS],
                     "the markup-named study shown as text")
    check(len(links) == 1, "overview: the markup study name is not shown as its text")
    check(not driver.find_elements(By.CSS_SELECTOR, "#studies img, #studies script"), "overview: markup was inserted")
    driver.save_screenshot(f"{shots}/overview.png")
    console += driver.get_log("browser")

    # 2. study page: every trial's value and learning rate, charts fed with storage's values
    driver.get(base + "study?name=" + urllib.parse.quote("tiny/adam", safe=""))
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#trials tbody tr")) == len(complete), "the trial rows")
    for number, value in complete:
        tr = driver.find_element(By.CSS_SELECTOR, f'#trials tbody tr[data-number="{number}"]')
        cells = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        check(cells[1] == "COMPLETE", f"trial {number}: state {cells[1]}")
        check(close(cells[2], value), f"trial {number}: value {cells[2]} != {value}")
        check(any(close(c, lr[number]) for c in cells[4:]), f"trial {number}: learning_rate {lr[number]} not shown")
    n_hist = driver.execute_script("return echarts.getInstanceByDom(document.getElementById('history'))"
                                   ".getOption().series[0].data.length")
    check(n_hist == len(complete), f"history chart has {n_hist} points, storage {len(complete)}")
    log_axis = driver.execute_script("const c = echarts.getInstanceByDom(document.getElementById('slice-1'));"
                                     "return c && c.getOption().title[0].text + ':' + c.getOption().xAxis[0].type")
    check(log_axis == "learning_rate:log", f"learning_rate's slice plot is not on a log axis ({log_axis})")
    # sorting by value descending puts the best first
    driver.find_element(By.CSS_SELECTOR, '#trials th[data-key="value"]').click()
    driver.find_element(By.CSS_SELECTOR, '#trials th[data-key="value"]').click()
    first = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "#trials tbody tr td:nth-child(3)").text, "sorted")
    check(close(first, best), f"sorted by value (descending), first row shows {first}, best is {best}")
    # trial detail
    driver.find_element(By.CSS_SELECTOR, f'#trials tbody tr[data-number="{complete[0][0]}"]').click()
    detail = wait_for(lambda: driver.find_element(By.ID, "detailtable").text, "the trial detail")
    check("param learning_rate" in detail and "intermediate values" in detail, "trial detail lacks params/curve")
    driver.save_screenshot(f"{shots}/study.png")
    console += driver.get_log("browser")

    # 2a. importances: x's first-order variance share is large although its rank correlation is small
    driver.get(base + "study?name=importance")
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#trials tbody tr")) == len(imp_trials), "the 64 trials")
    imp = driver.execute_script("const o = echarts.getInstanceByDom(document.getElementById('importance')).getOption();"
                                "return {names: o.yAxis[0].data, share: o.series[0].data, rho: o.series[1].data};")
    shown = {n: (imp["share"][i], imp["rho"][i]) for i, n in enumerate(imp["names"])}
    for p in ("x", "z"):
        check(abs(shown[p][0] - imp_expected[p]) < 1e-3, f"importance of {p}: {shown[p][0]}, expected {imp_expected[p]:.4f}")
    check(shown["x"][0] > 0.7 and shown["z"][0] < 0.2 and shown["x"][1] < 0.4,
          f"x (rises and falls) and z (no effect): (share, |rho|) = {shown}")
    console += driver.get_log("browser")

    # 2b. the experiment page, reached from the overview: each optimizer's best trial and the verdict,
    # as the report computes them, and the report to download
    driver.get(base)
    exp_link = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, 'tr[data-study="tiny/adam"] a[href^="/experiment"]'),
                        "the experiment link")
    check(exp_link.text == "tiny", f"the experiment link reads {exp_link.text!r}")
    exp_link.click()
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#comparison tbody tr")) == len(experiment), "the comparison rows")
    verdict = wait_for(lambda: driver.find_element(By.ID, "verdict").text, "the verdict")
    for study_name, (valid, test) in experiment.items():
        row = driver.find_element(By.CSS_SELECTOR, f'#comparison a[href="/study?name={urllib.parse.quote(study_name, safe="")}"]')
        tr = row.find_element(By.XPATH, "./ancestor::tr")
        shown_valid = tr.find_element(By.CSS_SELECTOR, "td.valid").text
        check(shown_valid.startswith(f"{100 * valid:.2f} %"), f"{study_name}: best valid {shown_valid!r}, storage {valid}")
        if test is not None:
            shown_test = tr.find_element(By.CSS_SELECTOR, "td.test").text
            check(shown_test == f"{100 * test:.2f} %", f"{study_name}: test {shown_test!r}, storage {test}")
            check(f"{100 * test:.2f} %" in verdict, f"the verdict does not name {study_name}'s test accuracy: {verdict!r}")
    check(verdict.startswith("Highest test accuracy"), f"the verdict reads {verdict[:80]!r}")
    href = driver.find_element(By.ID, "download").get_attribute("href")
    with urllib.request.urlopen(href, timeout=60) as r:
        report_md = r.read().decode()
        check(r.status == 200 and "attachment" in r.headers.get("Content-Disposition", ""), "the report download")
    check(report_md.startswith("#") and "Adam" in report_md, f"the downloaded report: {report_md[:80]!r}")
    # three downloads at once: reports are written one at a time, the others are told so (503) at once
    def download_status(_):
        try:
            with urllib.request.urlopen(href, timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        statuses = sorted(pool.map(download_status, range(3)))
    check(statuses[0] == 200 and set(statuses) <= {200, 503}, f"concurrent downloads answered {statuses}")
    driver.save_screenshot(f"{shots}/experiment.png")
    console += driver.get_log("browser")

    # 2c. against a baseline: tiny-base chosen in the menu; per optimizer the report's paired comparison (one
    # repetition here: each side's best trial's test accuracy and their difference, no test)
    Select(wait_for(lambda: driver.find_element(By.ID, "baseline-select"), "the baseline menu")).select_by_value("tiny-base")
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#baseline-table tbody tr")) == len(baseline), "the baseline rows")
    check("baseline=tiny-base" in driver.current_url, f"the page's address keeps the baseline: {driver.current_url}")
    for opt, (valid, test, label) in labelled.items():
        _, btest, _ = baseline[opt]
        tr = driver.find_element(By.CSS_SELECTOR, f'#baseline-table tr[data-label="{label}"]')
        cells = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        check(cells[0] == label and cells[1] == "1", f"{label}: baseline row {cells}")
        if test is not None and btest is not None:
            d = test - btest
            want = [f"{100 * btest:.2f} %", f"{100 * test:.2f} %", f"{'+' if d > 0 else ''}{100 * d:.2f} pp"]
            check(cells[2:5] == want, f"{label}: baseline row {cells[2:5]}, storage {want}")
        check(cells[5] == "—" and cells[6] == "—", f"{label}: one repetition has no test, the row shows {cells[5:7]}")
    # the cost of the paired repetitions, baseline → this, per optimizer and for all, from the trials' attributes
    saved = lambda ours, base: f"{100 * (1 - ours / base):.0f} %" if base > 0 else "—"
    tot = [0, 0, 0, 0]
    for opt, (valid, test, label) in labelled.items():
        (ep, sec), (bep, bsec) = cost[opt]
        tot = [tot[0] + ep, tot[1] + sec, tot[2] + bep, tot[3] + bsec]
        tr = driver.find_element(By.CSS_SELECTOR, f'#baseline-cost-table tr[data-label="{label}"]')
        cells = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        want = [label, cells[1], f"{bep:,} → {ep:,}", saved(ep, bep), f"{bsec:.0f} s → {sec:.0f} s", saved(sec, bsec)]
        check(cells == want and cells[1].endswith(" / 2"), f"{label}: cost row {cells}, storage {want}")
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, '#baseline-cost-table tr[data-label="all"] td')]
    want = ["all", "", f"{tot[2]:,} → {tot[0]:,}", saved(tot[0], tot[2]), f"{tot[3]:.0f} s → {tot[1]:.0f} s",
            saved(tot[1], tot[3])]
    check(cells == want, f"cost row 'all' {cells}, storage {want}")
    note = driver.find_element(By.ID, "baseline-note").text
    check("sampler random" in note and "sampler tpe" in note, f"the baseline note does not name both samplers: {note!r}")
    driver.save_screenshot(f"{shots}/experiment-baseline.png")
    console += driver.get_log("browser")

    # 2d. a mistyped baseline in the address: the experiment is still shown, the baseline card says what is wrong
    driver.get(base + "experiment?name=tiny&baseline=no-such-base")
    wait_for(lambda: "no-such-base" in driver.find_element(By.ID, "baseline-note").text, "the baseline card's error")
    note = driver.find_element(By.ID, "baseline-note")
    check("No comparison" in note.text and "error" in note.get_attribute("class"), f"the baseline card's error: {note.text!r}")
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#comparison tbody tr")) == len(experiment),
             "the comparison rows beside a mistyped baseline")
    check(driver.find_element(By.ID, "banner").get_attribute("class") != "shown",
          f"a mistyped baseline raised the page's banner: {driver.find_element(By.ID, 'banner').text!r}")
    check(not driver.find_elements(By.CSS_SELECTOR, "#baseline-table"), "a baseline table beside the error")
    driver.save_screenshot(f"{shots}/experiment-baseline-mistyped.png")
    console += driver.get_log("browser")

    # 3. the markup study: shown as text everywhere; a trial added now appears without reload
    driver.get(base + "study?name=" + urllib.parse.quote(XSS, safe=""))
    wait_for(lambda: driver.find_element(By.ID, "title").text == XSS, "the markup study's title as text")
    driver.execute_script("window.__same_page = 1")
    running = xss_study.ask()
    running.suggest_float(XSS, 0.1, 10.0, log=True)
    running.report(3.0, 0)
    wait_for(lambda: "RUNNING" in driver.find_element(By.CSS_SELECTOR, '#trials tbody tr[data-number="1"]').text,
             "a RUNNING trial to appear live", timeout=5)
    # its worker's heartbeat, written by Optuna's own heartbeat code: the row shows its age, not stale
    hb_storage = optuna.storages.RDBStorage("sqlite:///" + db, heartbeat_interval=60)
    hb_storage.record_heartbeat(running._trial_id)
    hb_cell = f'#trials td.hb[data-id="{running._trial_id}"]'
    hb_text = wait_for(lambda: re.fullmatch(r"heartbeat (\d+) s ago", driver.find_element(By.CSS_SELECTOR, hb_cell).text)
                       and driver.find_element(By.CSS_SELECTOR, hb_cell).text, "the running trial's heartbeat age", timeout=5)
    check(int(re.search(r"\d+", hb_text).group()) <= 5, f"a heartbeat just written shows as {hb_text}")
    running.report(2.0, 1)
    wait_for(lambda: driver.execute_script(
        "const s = echarts.getInstanceByDom(document.getElementById('intermediate')).getOption().series;"
        "return s.some(x => x.name.startsWith('#1 ') && x.data.length === 2)"), "its learning curve to grow", timeout=5)
    xss_study.tell(running, 0.5)
    row1 = '#trials tbody tr[data-number="1"]'
    wait_for(lambda: all(s in driver.find_element(By.CSS_SELECTOR, row1).text for s in ("COMPLETE", "0.500000")),
             "trial 1 finished, live", timeout=5)
    check(driver.execute_script("return window.__same_page") == 1, "the page reloaded")
    check(driver.execute_script("return window.__xss === undefined"), "markup from storage ran as script")
    check(not driver.find_elements(By.CSS_SELECTOR, "main img, main script"), "study page: markup was inserted")
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#trials th")]
    # the parameter is a column; the attribute (a long value) is shown in the trial detail, below
    check(sum(h.startswith(XSS) for h in headers) == 1, f"param named with markup not shown as text: {headers}")
    driver.find_element(By.CSS_SELECTOR, '#trials tbody tr[data-number="0"]').click()
    check(("attr " + XSS) in driver.find_element(By.ID, "detailtable").text, "detail: markup attribute not shown as text")
    driver.save_screenshot(f"{shots}/escaping-live.png")
    console += driver.get_log("browser")

    # 3b. a trial whose worker stopped beating 100 s ago (more than the 30 s default --stale): flagged
    stale = xss_study.ask()
    hb_storage.record_heartbeat(stale._trial_id)
    con = sqlite3.connect(db)
    con.execute("update trial_heartbeats set heartbeat = strftime('%Y-%m-%d %H:%M:%f', 'now', '-100 seconds') "
                "where trial_id = ?", (stale._trial_id,))
    con.commit()
    con.close()
    stale_cell = f'#trials td.hb[data-id="{stale._trial_id}"]'
    stale_text = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, stale_cell).text.startswith("STALE")
                          and driver.find_element(By.CSS_SELECTOR, stale_cell).text, "the stale trial flagged", timeout=5)
    m = re.fullmatch(r"STALE: heartbeat 1 min (\d+) s ago", stale_text)
    check(m and 40 <= int(m.group(1)) <= 50, f"a heartbeat set 100 s back shows as {stale_text!r}")
    check("stale" in driver.find_element(By.CSS_SELECTOR, stale_cell).get_attribute("class"), "stale cell not styled")
    console += driver.get_log("browser")

    # 4. the server goes away: a banner says so; it comes back: the banner goes, polling resumes
    os.kill(int(os.environ["SERVE_PID"]), signal.SIGINT)
    wait_for(lambda: "cannot be reached" in driver.find_element(By.ID, "banner").text, "the outage banner")
    driver.save_screenshot(f"{shots}/outage-banner.png")
    port = str(urllib.parse.urlparse(base).port)
    again = subprocess.Popen([os.environ["OPTLAB_BIN"], "serve", "--storage", "sqlite:///" + db, "--port", port],
                             stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: driver.find_element(By.ID, "banner").get_attribute("class") != "shown", "the banner to go")
        n_before = len(driver.find_elements(By.CSS_SELECTOR, "#trials tbody tr"))
        xss_study.tell(xss_study.ask({XSS: optuna.distributions.FloatDistribution(0.1, 10.0, log=True)}), 0.25)
        wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#trials tbody tr")) == n_before + 1,
                 "a trial told after the restart", timeout=5)

        # the banner named the outage; while the server was gone the browser logged failed fetches, which are expected
        console += [e for e in driver.get_log("browser") if "ERR_CONNECTION_REFUSED" not in e.get("message", "")]

        # 5. the overview shows each running trial's heartbeat age, the stale one flagged
        driver.get(base)
        def stale_span():  # the markup study's name cannot go into a CSS selector: match the attribute in Python
            rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "#studies tbody tr") if r.get_attribute("data-study") == XSS]
            return rows and rows[0].find_elements(By.CSS_SELECTOR, f'span.running[data-trial="{stale.number}"]')
        el_stale = wait_for(stale_span, "the stale trial in the overview")[0]
        check("stale" in el_stale.get_attribute("class").split(), "overview: the stale trial is not flagged")
        check(re.search(r"STALE: heartbeat 1 min \d+ s ago", el_stale.text), f"overview shows {el_stale.text!r}")
        driver.save_screenshot(f"{shots}/overview-stale.png")
        console += driver.get_log("browser")
    finally:
        again.send_signal(signal.SIGINT)
        check(again.wait(timeout=10) == 0, "the restarted server did not stop cleanly")
finally:
    driver.quit()

errors = [e for e in console if e.get("level") == "SEVERE"]
for e in errors:
    print("console error:", e.get("message"), file=sys.stderr)
check(not errors, f"{len(errors)} JavaScript console errors")
if failures:
    sys.exit(f"browser.py: {len(failures)} checks failed")
print(f"browser.py: all checks passed ({len(complete)} trials of tiny/adam, best {best}; importances of the "
      f"(x - 0.5)^2 study, (share of variance, |Spearman rho|): {shown})")
