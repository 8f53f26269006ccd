// The search of the entity index (entities.html): names, other names and identifiers, in the page.
(() => {
  const entries = JSON.parse(document.getElementById("index").textContent);
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  for (const e of entries) e.words = fold([e.label, ...e.also, ...e.ids].join(" \u0001 "));
  const input = document.getElementById("find"), list = document.getElementById("found");
  input.addEventListener("input", () => {
    const wanted = fold(input.value.trim());
    list.replaceChildren();
    if (!wanted) return;
    const hits = entries.filter((e) => e.words.includes(wanted));
    hits.sort((a, b) => (fold(a.label).startsWith(wanted) ? 0 : 1) - (fold(b.label).startsWith(wanted) ? 0 : 1));
    for (const e of hits.slice(0, 50)) {
      const item = document.createElement("li"), link = document.createElement("a");
      link.href = e.page; link.textContent = e.label;
      item.append(link, ` (${e.kind}${e.also.length ? "; also " + e.also.join(", ") : ""})`);
      list.append(item);
    }
    if (!hits.length) list.append(Object.assign(document.createElement("li"), {textContent: "Nothing found."}));
  });
})();
