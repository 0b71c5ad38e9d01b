// Live SMS size in the topic admin: as an editor types, the "SMS size" line under each SMS
// text shows encoding, characters, segments and what forces UCS-2, in the admin's language
// (templates come from the server). Mirrors messaging/encoding.py (render_sms_text, sms_size).
"use strict";
(function () {
  const BASIC = new Set(Array.from(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"));
  const EXTENDED = new Set(Array.from("^{}\\[~]|€\f"));
  const REPLACE = {
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2018": "'", "\u2019": "'",
    "\u201a": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2039": "'", "\u203a": "'", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2022": "-", "\u2026": "...", "\u00b4": "'", "`": "'", "\u200b": "", "\ufeff": "",
  };

  function render(text) {
    let out = text.replace(/\r\n?/g, "\n");
    out = Array.from(out).map((c) => (c in REPLACE ? REPLACE[c] : c)).join("");
    return out.replace(/[ \t]+/g, " ").replace(/ *\n */g, "\n").replace(/\n{3,}/g, "\n\n").trim();
  }

  function size(text) {
    const chars = Array.from(text);
    const gsm = chars.every((c) => BASIC.has(c) || EXTENDED.has(c));
    const units = gsm ? chars.reduce((n, c) => n + (EXTENDED.has(c) ? 2 : 1), 0) : text.length;
    const [single, part] = gsm ? [160, 153] : [70, 67];
    const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
    const costly = [...new Set(chars.filter((c) => !BASIC.has(c) && !EXTENDED.has(c)))].sort();
    return { encoding: gsm ? "GSM-7" : "UCS-2", characters: chars.length, segments, costly };
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, (_, name) => String(values[name]));
  }

  function attach(textarea) {
    if (textarea.dataset.smsSize) return;
    const inline = textarea.closest(".inline-related");
    const shown = inline && inline.querySelector(".field-sms_size .sms-size");
    if (!shown) return;
    textarea.dataset.smsSize = "1";
    const update = () => {
      const s = size(render(textarea.value));
      let text = format(s.segments === 1 ? shown.dataset.one : shown.dataset.many, s);
      if (s.costly.length) text += " " + format(shown.dataset.costly, { chars: s.costly.join(" ") });
      shown.textContent = text;
      shown.style.color = s.costly.length ? "#ba2121" : "";
    };
    textarea.addEventListener("input", update);
    update();
  }

  function scan() {
    document.querySelectorAll('textarea[name$="-sms_text"]').forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("formset:added", scan);
})();
