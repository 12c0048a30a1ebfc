// coach's page: the routine chooser, and the player of one session (a deep link
// /?routine=NAME&pace=...). Plain JavaScript, no build step, nothing from outside.
"use strict";

const $ = (id) => document.getElementById(id);
// Query names that are the page's own, not session options.
const PAGE_ONLY = ["autoplay"];
// Back within this many seconds of a step's start goes to the step before.
const BACK_GRACE = 3;

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function getJSON(url) {
  const answer = await fetch(url, { credentials: "same-origin" });
  let body = null;
  try { body = await answer.json(); } catch (e) { body = null; }
  if (!answer.ok) {
    throw new Error((body && body.error) || `${answer.status} ${answer.statusText}`);
  }
  return body;
}

// ---- the chooser -----------------------------------------------------------------------

const FIELDS = ["pace", "minutes", "talk", "voice", "bed", "bed-volume", "count", "no-tones"];
// Checkboxes that show the opposite of their option ("Rhythm tones" is no-tones=false).
const INVERTED = ["no-tones"];

function fieldValue(form, name) {
  const el = form.elements[name];
  if (el.type !== "checkbox") return el.value.trim();
  return String(INVERTED.includes(name) ? !el.checked : el.checked);
}

function savedValue(saved, name) {
  const v = saved[name];
  if (v === null || v === undefined) return "";
  return typeof v === "boolean" ? String(v) : String(v);
}

async function chooser() {
  $("chooser").hidden = false;
  const [saved, routines] = await Promise.all([getJSON("/api/settings"), getJSON("/api/routines")]);
  const languageNames = saved.languages || {};
  const form = $("options");
  const bed = form.elements["bed"];
  const beds = saved.bed && !saved.beds.includes(saved.bed) ? [saved.bed, ...saved.beds] : saved.beds;
  bed.replaceChildren(...["", ...beds].map((b) => new Option(b || "(none)", b)));
  for (const name of FIELDS) {
    const el = form.elements[name];
    if (el.type === "checkbox") el.checked = INVERTED.includes(name) ? !saved[name] : Boolean(saved[name]);
    else el.value = savedValue(saved, name);
  }

  const list = $("routines");
  const links = [];
  for (const r of routines) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    const title = document.createElement("strong");
    title.textContent = r.title || r.name;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = r.error ? r.name
      : `${r.name} · ${r.steps} steps · about ${Math.round(r.minutes)} min · ${r.from}`;
    a.append(title, meta);
    if (r.error) {
      const bad = document.createElement("span");
      bad.className = "broken";
      bad.textContent = r.error;
      a.append(bad);
    }
    a.dataset.routine = r.name;
    li.append(a);
    links.push(a);
    // A routine written in several languages: each offered by its name in itself, and
    // the session (its words, voice and page) in that language.
    if (!r.error && r.languages.length > 1) {
      const langs = document.createElement("span");
      langs.className = "languages";
      for (const code of r.languages) {
        const l = document.createElement("a");
        l.textContent = languageNames[code] || code;
        l.lang = code;
        l.hreflang = code;
        l.dataset.routine = r.name;
        l.dataset.language = code;
        langs.append(l);
        links.push(l);
      }
      li.append(langs);
    }
    list.append(li);
  }

  function relink() {
    for (const a of links) {
      const q = new URLSearchParams({ routine: a.dataset.routine });
      if (a.dataset.language) q.set("language", a.dataset.language);
      for (const name of FIELDS) {
        const value = fieldValue(form, name);
        if (value !== savedValue(saved, name)) q.set(name, name === "bed" && value === "" ? "none" : value);
      }
      a.href = "/?" + q.toString();
    }
  }
  form.addEventListener("input", relink);
  form.addEventListener("change", relink);
  relink();
}

// ---- the player ------------------------------------------------------------------------

// The words the player shows, in the session's language (/api/words: coach's catalogs).
let words = {};

// The page takes the session's language: its lang (fonts, screen readers, line breaks)
// and the words it shows around the session's own (chapters and titles come in it).
async function speak(query) {
  const found = await getJSON("/api/words?" + query);
  words = { ...words, ...found.words };
  document.documentElement.lang = found.language;
  $("wake-label").textContent = words.wake;
  $("back").textContent = words.back;
  $("download").textContent = words.download;
  if ($("wake").disabled) $("wake").parentElement.title = words.no_wake;
}

async function player(params) {
  $("player").hidden = false;
  const audio = $("audio");
  const q = new URLSearchParams(params);
  for (const name of PAGE_ONLY) q.delete(name);
  const query = q.toString();
  const status = $("status");

  let doc;
  try {
    await speak(query);
    status.textContent = words.preparing;
    doc = await getJSON("/api/chapters.json?" + query);
  } catch (e) {
    status.textContent = "";
    showError(e.message);
    return;
  }
  const chapters = doc.chapters;
  const title = doc.title;
  $("title").textContent = title;
  document.title = title + " · coach";

  const items = chapters.map((c, i) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.start = String(c.startTime);
    b.dataset.index = String(i);
    const name = document.createElement("span");
    name.textContent = c.title;
    const at = document.createElement("span");
    at.className = "at";
    at.textContent = clock(c.startTime);
    b.append(name, at);
    b.addEventListener("click", () => {
      audio.currentTime = Number(b.dataset.start);
      audio.play().catch(() => {});
    });
    li.append(b);
    $("chapters").append(li);
    return li;
  });

  let current = -1;
  let practice = null;
  const chapterAt = (t) => {
    let found = 0;
    chapters.forEach((c, i) => { if (t >= c.startTime - 0.001) found = i; });
    return found;
  };
  const total = () => (Number.isFinite(audio.duration) ? audio.duration
    : chapters.length ? chapters[chapters.length - 1].endTime : 0);

  function setMetadata() {
    if (!("mediaSession" in navigator) || current < 0) return;
    navigator.mediaSession.metadata = new MediaMetadata({
      title: chapters[current].title, artist: "coach", album: title,
    });
  }

  function update() {
    const t = audio.currentTime;
    const i = chapterAt(t);
    if (i !== current) {
      if (current >= 0) items[current].removeAttribute("aria-current");
      current = i;
      if (practice) practice.chapter(i);
      items[i].setAttribute("aria-current", "step");
      $("step").textContent = `${i + 1}/${chapters.length} ${chapters[i].title}`;
      setMetadata();
    }
    $("left").textContent = words.left.replace("{time}", clock(total() - t));
    if ("mediaSession" in navigator && Number.isFinite(audio.duration) && navigator.mediaSession.setPositionState) {
      try {
        navigator.mediaSession.setPositionState({
          duration: audio.duration, position: Math.min(t, audio.duration), playbackRate: audio.playbackRate,
        });
      } catch (e) { /* a position the browser refuses is no reason to stop */ }
    }
  }

  function jump(index) {
    const i = Math.max(0, Math.min(chapters.length - 1, index));
    audio.currentTime = chapters[i].startTime;
    update();
  }

  if ("mediaSession" in navigator) {
    const handlers = {
      previoustrack: () => {
        const i = chapterAt(audio.currentTime);
        jump(audio.currentTime - chapters[i].startTime > BACK_GRACE ? i : i - 1);
      },
      nexttrack: () => jump(chapterAt(audio.currentTime) + 1),
      play: () => audio.play(),
      pause: () => audio.pause(),
      seekto: (d) => { audio.currentTime = d.seekTime; update(); },
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { navigator.mediaSession.setActionHandler(action, handler); } catch (e) { /* unsupported */ }
    }
  }

  practice = follow(audio, query, () => current);
  audio.addEventListener("timeupdate", () => { update(); practice.tick(); });
  audio.addEventListener("seeked", update);
  audio.addEventListener("loadedmetadata", () => { status.textContent = ""; update(); });
  audio.addEventListener("error", async () => {
    status.textContent = "";
    try {
      const answer = await fetch(audio.currentSrc, { headers: { Range: "bytes=0-0" } });
      const body = answer.ok ? null : await answer.json();
      showError((body && body.error) || words.not_played);
    } catch (e) {
      showError(words.not_loaded);
    }
  });

  const src = "/api/session.mp3?" + query;
  $("download").href = src;
  audio.src = src;
  update();
  if (params.get("autoplay") === "1") audio.play().catch(() => {});
}

// ---- the practice history -------------------------------------------------------------

// Reports the session to the history as `coach play` does: started (the first sound), each
// chapter as it starts with the seconds heard so far (pauses and seeks excluded), ended
// (played to the end, or the page left). A report that fails is dropped: the sound plays on.
function follow(audio, query, chapterNow) {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);  // (randomUUID needs https; the page is served over http)
  const session = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const url = "/api/progress?" + query;
  let started = false, ended = false, heard = 0, last = null;
  const body = (event, extra) => JSON.stringify({ session, event, seconds: Math.round(heard * 1000) / 1000, ...extra });
  let chain = Promise.resolve();  // reports arrive in order
  const send = (event, extra) => {
    const text = body(event, extra);
    chain = chain.then(() => fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: text, keepalive: true,
    })).catch(() => {});
    return chain;
  };
  audio.addEventListener("playing", () => {
    if (started) return;
    started = true;
    const text = body("start");
    chain = chain.then(async () => {
      const answer = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: text });
      if (!answer.ok) {  // the history cannot take it (damaged): say so, play on
        ended = true;
        const failed = await answer.json().catch(() => null);
        showError((failed && failed.error) || words.not_recorded);
      }
    }).catch(() => {});
    send("chapter", { chapter: Math.max(0, chapterNow()) });
  });
  function tick(stopping = false) {
    // Heard: how far the sound moved on while playing, no more than the clock allows
    // at the playback rate (a seek resets `last`, so a jump is never counted).
    const t = audio.currentTime, now = performance.now();
    if ((stopping || !audio.paused) && last !== null && t > last.t) {
      heard += Math.min(t - last.t, ((now - last.at) / 1000) * audio.playbackRate * 1.5 + 0.5);
    }
    last = audio.paused ? null : { t, at: now };
  }
  audio.addEventListener("seeking", () => { last = null; });
  audio.addEventListener("pause", () => { tick(true); last = null; });
  audio.addEventListener("ended", () => {
    if (started && !ended) { ended = true; send("end", { finished: true }); }
  });
  window.addEventListener("pagehide", () => {
    if (started && !ended) {
      ended = true;
      navigator.sendBeacon(url, new Blob([body("end", { finished: false })], { type: "application/json" }));
    }
  });
  return {
    tick,
    chapter(i) { if (started && !ended) send("chapter", { chapter: i }); },
  };
}

// ---- keeping the screen on ---------------------------------------------------------------

function wakeLock() {
  const box = $("wake");
  if (!("wakeLock" in navigator)) {
    box.disabled = true;
    return;  // (its title, in the session's language, comes with the words)
  }
  let lock = null;
  async function take() {
    try { lock = await navigator.wakeLock.request("screen"); } catch (e) { box.checked = false; }
  }
  box.addEventListener("change", async () => {
    if (box.checked) await take();
    else if (lock) { await lock.release(); lock = null; }
  });
  // The browser lets go of the lock whenever the page is hidden; take it again on return.
  document.addEventListener("visibilitychange", () => {
    if (box.checked && document.visibilityState === "visible") take();
  });
}

// ---- start -----------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
wakeLock();
(params.has("routine") ? player(params) : chooser()).catch((e) => showError(e.message));
