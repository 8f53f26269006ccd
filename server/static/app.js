// The SPARQL editor: YASGUI served by this server, preloaded with the project's prefixes and
// with the example questions of queries/ (a click loads one into the editor and runs it).
(function () {
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  const prefixes = JSON.parse(document.getElementById("prefixes-data").textContent);
  if (typeof Yasgui === "undefined") return;
  const header = Object.entries(prefixes).map(([p, ns]) => `PREFIX ${p}: <${ns}>`).join("\n");
  Yasgui.Yasqe.defaults.value = header + "\n\nSELECT ?s ?label WHERE {\n  ?s rdfs:label ?label\n} LIMIT 20\n";
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: new URL("/sparql", window.location.href).href, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
  });
  window.mineralDiplomacyEditor = yasgui;
  document.querySelectorAll("button.example").forEach((button) => {
    button.addEventListener("click", () => {
      const example = examples.find((e) => e.id === button.dataset.id);
      const tab = yasgui.getTab();
      tab.setQuery(example.query);
      tab.setName(example.id);
      tab.query();
    });
  });
})();

// Result cells link entity IRIs (https://w3id.org/mineral-diplomacy/...); open them on this server,
// so a row is one click from its page with the sources and quotes behind it.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[href^='https://w3id.org/mineral-diplomacy/']");
  if (!link) return;
  event.preventDefault();
  window.open(link.getAttribute("href").replace("https://w3id.org/mineral-diplomacy/", "/"), "_blank");
});
