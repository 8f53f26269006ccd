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
  // Results read as words: the table in its simple view (no datatypes), and every IRI of this
  // graph shown by its label (the IRI stays its link and its tooltip), asked of /sparql once per table.
  yasgui.on("query", (_, tab) => {
    const yasr = tab.getYasr();
    const table = yasr.config.plugins.table;
    if (table && !(table.dynamicConfig && "compact" in table.dynamicConfig)) {
      yasr.storePluginConfig("table", { ...(table.dynamicConfig || {}), compact: true });
    }
    if (!yasr.labelsShown) {
      yasr.labelsShown = true;
      yasr.on("drawn", () => showLabels(yasr.resultsEl));
    }
  });
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

const BASE = "https://w3id.org/mineral-diplomacy/";

async function showLabels(results) {
  const links = [...results.querySelectorAll("a.iri")].filter((a) => a.getAttribute("href").startsWith(BASE + "id/"));
  const iris = [...new Set(links.map((a) => a.getAttribute("href")))].slice(0, 500);
  if (!iris.length) return;
  const query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?s (SAMPLE(?l) AS ?label) WHERE { VALUES ?s { "
    + iris.map((iri) => `<${iri}>`).join(" ") + " } ?s rdfs:label ?l } GROUP BY ?s";
  const response = await fetch("/sparql", {
    method: "POST", headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
    body: query,
  });
  if (!response.ok) return;
  const labels = new Map((await response.json()).results.bindings.map((b) => [b.s.value, b.label.value]));
  for (const link of links) {
    const label = labels.get(link.getAttribute("href"));
    if (label) { link.title = link.textContent; link.textContent = label; }
  }
}
