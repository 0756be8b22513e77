// udsyn query page: a SPARQL editor, the question library, results with links and sources.
// Plain JavaScript, no build step, no requests to any other origin.
"use strict";

const $ = (id) => document.getElementById(id);

const RESULTS_JSON = "application/sparql-results+json";
const TURTLE = "text/turtle";
const GRAPH_FORMS = new Set(["CONSTRUCT", "DESCRIBE"]);
const RENDER_STEP = 1000; // rows put in the table at a time
const UDS = "https://w3id.org/udsyn/ontology#";
const RDFS = "http://www.w3.org/2000/01/rdf-schema#";
const SKOS = "http://www.w3.org/2004/02/skos/core#";

const STARTER = `# What kinds of things does the graph hold? Click a class to open it.
SELECT ?class (COUNT(DISTINCT ?thing) AS ?things)
WHERE {
  ?thing a ?class .
}
GROUP BY ?class
ORDER BY DESC(?things)
LIMIT 50
`;

const state = {
  config: { prefixes: {}, base_iri: "" },
  questions: [],
  question: null, // the question shown in the panel
  questionText: "", // its query text as loaded, to tell whether the editor was edited
  current: null, // the request whose result is shown
  result: null, // {kind: "table"|"boolean"|"graph", ...}
  sequence: 0, // ignores answers to requests that were superseded
  renderedRows: 0,
  sourcesQuery: "",
};

// ---------------------------------------------------------------------------------------
// SPARQL lexing: for highlighting, the query form and the prefixes a query uses
// ---------------------------------------------------------------------------------------

const TOKEN = new RegExp(
  [
    String.raw`(?<comment>#[^\n]*)`,
    String.raw`(?<iri><[^<>"{}|^\x60\\\x00-\x20]*>)`,
    String.raw`(?<string>"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')`,
    String.raw`(?<variable>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)`,
    String.raw`(?<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)`,
    String.raw`(?<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*)?:(?:[\w\-.:%\u00B7-\uFFFF]*[\w\-:%\u00B7-\uFFFF])?)`,
    String.raw`(?<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)`,
    String.raw`(?<word>[A-Za-z_][A-Za-z0-9_]*)`,
  ].join("|"),
  "gu",
);

const KEYWORDS = new Set(
  `SELECT WHERE PREFIX BASE DISTINCT REDUCED FROM NAMED OPTIONAL FILTER UNION GRAPH ORDER BY
   ASC DESC LIMIT OFFSET GROUP HAVING BIND AS VALUES MINUS SERVICE SILENT CONSTRUCT DESCRIBE
   ASK A NOT EXISTS IN UNDEF COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR LANG
   LANGMATCHES DATATYPE BOUND IRI URI BNODE STR STRLEN SUBSTR UCASE LCASE CONTAINS STRSTARTS
   STRENDS CONCAT REGEX REPLACE COALESCE IF ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC YEAR
   MONTH DAY NOW TRUE FALSE SAMETERM STRLANG STRDT ENCODE_FOR_URI ABS ROUND CEIL FLOOR`.split(/\s+/),
);

function* lex(text) {
  TOKEN.lastIndex = 0;
  for (const match of text.matchAll(TOKEN)) {
    const kind = Object.keys(match.groups).find((name) => match.groups[name] !== undefined);
    yield { kind, text: match[0], start: match.index };
  }
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function highlight(text) {
  let html = "";
  let at = 0;
  for (const token of lex(text)) {
    html += escapeHtml(text.slice(at, token.start));
    let kind = token.kind;
    if (kind === "word") kind = KEYWORDS.has(token.text.toUpperCase()) ? "keyword" : "";
    html += kind ? `<span class="tok-${kind}">${escapeHtml(token.text)}</span>` : escapeHtml(token.text);
    at = token.start + token.text.length;
  }
  return html + escapeHtml(text.slice(at));
}

function queryForm(text) {
  for (const token of lex(text)) {
    const word = token.kind === "word" ? token.text.toUpperCase() : "";
    if (["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"].includes(word)) return word;
  }
  return "SELECT";
}

/** Known prefixes the query uses without declaring them. */
function missingPrefixes(text) {
  const declared = new Set();
  const used = new Set();
  const tokens = [...lex(text)];
  tokens.forEach((token, i) => {
    if (token.kind !== "pname") return;
    const name = token.text.slice(0, token.text.indexOf(":"));
    const previous = tokens[i - 1];
    if (previous && previous.kind === "word" && previous.text.toUpperCase() === "PREFIX") declared.add(name);
    else used.add(name);
  });
  return [...used].filter((name) => !declared.has(name) && name in state.config.prefixes);
}

function prefixLines(names) {
  return names.map((name) => `PREFIX ${name}: <${state.config.prefixes[name]}>\n`).join("");
}

// ---------------------------------------------------------------------------------------
// The editor: a textarea over a highlighted copy, with line numbers
// ---------------------------------------------------------------------------------------

const editor = {
  area: null,
  view: null,
  gutter: null,
  leaving: false, // Esc was pressed: the next Tab moves focus out
  errorLine: 0,

  init() {
    this.area = $("query");
    this.view = $("highlight");
    this.gutter = $("gutter");
    this.area.addEventListener("input", () => this.changed());
    this.area.addEventListener("scroll", () => this.sync());
    this.area.addEventListener("keydown", (event) => this.keydown(event));
  },

  get value() {
    return this.area.value;
  },

  set(text, { caretAtEnd = false } = {}) {
    this.area.value = text;
    this.errorLine = 0;
    this.changed();
    if (caretAtEnd) {
      this.area.setSelectionRange(text.length, text.length);
      this.area.scrollTop = this.area.scrollHeight;
    } else {
      this.area.setSelectionRange(0, 0);
      this.area.scrollTop = 0;
    }
    this.sync();
  },

  changed() {
    const text = this.area.value;
    this.view.innerHTML = highlight(text) + "\n\n";
    const lines = text.split("\n").length;
    let numbers = "";
    for (let n = 1; n <= lines; n++) {
      numbers += `<div${n === this.errorLine ? ' class="error-line"' : ""}>${n}</div>`;
    }
    this.gutter.innerHTML = numbers + "<div> </div><div> </div>";
    this.sync();
    questionPanel.editedChanged();
  },

  sync() {
    this.view.scrollTop = this.area.scrollTop;
    this.view.scrollLeft = this.area.scrollLeft;
    this.gutter.scrollTop = this.area.scrollTop;
  },

  markError(line) {
    this.errorLine = line;
    this.changed();
  },

  insert(text) {
    // execCommand keeps the browser's undo history; setRangeText is the fallback.
    if (!document.execCommand("insertText", false, text)) {
      this.area.setRangeText(text, this.area.selectionStart, this.area.selectionEnd, "end");
      this.changed();
    }
  },

  keydown(event) {
    const area = this.area;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      runFromEditor();
      return;
    }
    if (event.key === "Escape") {
      this.leaving = true;
      return;
    }
    if (event.key === "Tab" && !this.leaving && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end, value } = area;
      const lineStart = value.lastIndexOf("\n", start - 1) + 1;
      if (!event.shiftKey && !value.slice(start, end).includes("\n")) {
        this.insert("  ");
      } else {
        // Indent or outdent every selected line.
        const block = value.slice(lineStart, end);
        const changed = event.shiftKey
          ? block.replace(/^ {1,2}/gm, "")
          : block.replace(/^/gm, "  ");
        area.setSelectionRange(lineStart, end);
        this.insert(changed);
        area.setSelectionRange(lineStart, lineStart + changed.length);
      }
      return;
    }
    this.leaving = false;
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
      // Keep the indentation of the current line.
      const lineStart = area.value.lastIndexOf("\n", area.selectionStart - 1) + 1;
      const indent = /^[ \t]*/.exec(area.value.slice(lineStart))[0];
      if (indent) {
        event.preventDefault();
        this.insert("\n" + indent.slice(0, area.selectionStart - lineStart));
      }
    }
  },

  goTo(line, column) {
    const lines = this.area.value.split("\n");
    const row = Math.min(Math.max(line, 1), lines.length);
    let offset = 0;
    for (let i = 0; i < row - 1; i++) offset += lines[i].length + 1;
    offset += Math.min(Math.max(column - 1, 0), lines[row - 1].length);
    this.area.focus();
    this.area.setSelectionRange(offset, Math.min(offset + 1, this.area.value.length));
  },
};

function starterQuery() {
  return prefixLines(Object.keys(state.config.prefixes)) + "\n" + STARTER;
}

// ---------------------------------------------------------------------------------------
// Terms: how IRIs and literals are shown and written back into queries
// ---------------------------------------------------------------------------------------

function compactIri(iri) {
  const base = state.config.base_iri;
  let best = null;
  for (const [name, namespace] of Object.entries(state.config.prefixes)) {
    if (iri.startsWith(namespace) && iri !== namespace && (!best || namespace.length > best[1].length)) {
      best = [name, namespace];
    }
  }
  if (best) return `${best[0]}:${iri.slice(best[1].length)}`;
  if (base && iri.startsWith(base) && iri !== base) return iri.slice(base.length);
  return iri;
}

function sparqlString(text) {
  return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r") + '"';
}

/** A term of a SPARQL JSON result written as SPARQL; null for blank nodes. */
function sparqlTerm(term) {
  if (!term) return null;
  if (term.type === "uri") return `<${term.value}>`;
  if (term.type === "literal" || term.type === "typed-literal") {
    if (term["xml:lang"]) return `${sparqlString(term.value)}@${term["xml:lang"]}`;
    if (term.datatype) return `${sparqlString(term.value)}^^<${term.datatype}>`;
    return sparqlString(term.value);
  }
  return null;
}

function resourceUrl(iri) {
  return `/?resource=${encodeURIComponent(iri)}`;
}

function termNode(term, { self = "" } = {}) {
  if (!term) {
    const span = document.createElement("span");
    span.className = "unbound";
    span.textContent = "–";
    span.title = "unbound";
    return span;
  }
  if (term.type === "uri") {
    const link = document.createElement("a");
    link.className = "iri" + (term.value === self ? " self" : "");
    link.href = resourceUrl(term.value);
    link.dataset.iri = term.value;
    link.textContent = compactIri(term.value);
    link.title = `${term.value}\nOpen: everything the graph says about it`;
    return link;
  }
  if (term.type === "bnode") {
    const span = document.createElement("span");
    span.className = "bnode";
    span.textContent = `_:${term.value}`;
    return span;
  }
  const wrap = document.createDocumentFragment();
  const text = document.createElement("span");
  text.className = "literal";
  text.textContent = term.value;
  wrap.append(text);
  const language = term["xml:lang"];
  if (language) {
    text.lang = language;
    const tag = document.createElement("span");
    tag.className = "lang";
    tag.textContent = `@${language}`;
    tag.title = `language: ${language}`;
    wrap.append(tag);
  } else if (term.datatype && term.datatype !== "http://www.w3.org/2001/XMLSchema#string") {
    const tag = document.createElement("span");
    tag.className = "datatype";
    tag.textContent = compactIri(term.datatype);
    tag.title = term.datatype;
    wrap.append(tag);
  }
  return wrap;
}

// ---------------------------------------------------------------------------------------
// Talking to the service
// ---------------------------------------------------------------------------------------

class ServiceError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function errorMessage(response) {
  const text = (await response.text()).trim();
  if ((response.headers.get("content-type") || "").includes("json")) {
    try {
      const body = JSON.parse(text);
      if (typeof body.detail === "string") return body.detail;
      if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg || JSON.stringify(d)).join("\n");
    } catch {
      /* not JSON after all: show the text */
    }
  }
  return text || response.statusText || "no message";
}

/** The HTTP request behind a page request, in the given answer format. */
function httpRequest(request, accept, questionFormat) {
  if (request.kind === "question") {
    const params = new URLSearchParams(request.params);
    if (questionFormat) params.set("format", questionFormat);
    const query = params.toString();
    return [`/questions/${encodeURIComponent(request.name)}${query ? "?" + query : ""}`, { headers: { Accept: accept } }];
  }
  return [
    "/sparql",
    {
      method: "POST",
      headers: { Accept: accept, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: request.query }),
    },
  ];
}

async function send(request, accept, questionFormat) {
  const [url, options] = httpRequest(request, accept, questionFormat);
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new ServiceError(0, `The service did not answer (${error.message}). Is it still running?`);
  }
  if (!response.ok) throw new ServiceError(response.status, await errorMessage(response));
  return response;
}

function formOf(request) {
  if (request.kind === "question") {
    const question = state.questions.find((q) => q.name === request.name);
    return question ? question.form : "SELECT";
  }
  return queryForm(request.query);
}

// ---------------------------------------------------------------------------------------
// Running and showing results
// ---------------------------------------------------------------------------------------

function pageUrl(request) {
  if (!request) return "/";
  if (request.resource) return resourceUrl(request.resource);
  if (request.kind === "question") {
    const params = new URLSearchParams({ question: request.name, ...request.params });
    return `/?${params}`;
  }
  return `/?${new URLSearchParams({ query: request.query })}`;
}

function setStatus(text, running = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("running", running);
}

function plural(n, one, many) {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

function clearError() {
  $("error").hidden = true;
  if (editor.errorLine) editor.markError(0);
}

function showError(error, request) {
  const box = $("error");
  const titles = {
    0: "The service could not be reached",
    400: "The query could not run",
    404: "Not found",
    406: "The answer format is not available",
    422: "A parameter value does not fit",
    503: "The service is busy or the query took too long",
  };
  const status = error.status ?? 0;
  $("error-title").textContent =
    (titles[status] || (status >= 500 ? "The service failed to answer" : "The request was refused")) +
    (status ? ` (HTTP ${status})` : "");
  $("error-message").textContent = error.message;
  const goto = $("error-goto");
  const position = /error at (\d+):(\d+)/.exec(error.message);
  goto.hidden = !(position && request && request.kind === "sparql");
  if (!goto.hidden) {
    const lines = editor.value.split("\n").length;
    const line = Math.min(Number(position[1]), lines);
    const column = Number(position[2]);
    editor.markError(line);
    goto.textContent = `Show line ${line} in the editor`;
    goto.onclick = () => editor.goTo(line, column);
  }
  box.hidden = false;
}

async function run(request, { push = true } = {}) {
  const sequence = ++state.sequence;
  const form = formOf(request);
  const graph = GRAPH_FORMS.has(form);
  clearError();
  setStatus(request.kind === "question" ? `Running the question “${request.name}”…` : "Running…", true);
  $("run").disabled = true;
  if (push) remember(request);
  const started = performance.now();
  try {
    const response = await send(request, graph ? TURTLE : RESULTS_JSON);
    const body = await response.text();
    const took = Math.round(performance.now() - started);
    if (sequence !== state.sequence) return;
    state.current = request;
    if (graph) {
      state.result = { kind: "graph", text: body };
      showGraph(body, took);
    } else {
      const parsed = JSON.parse(body);
      if (typeof parsed.boolean === "boolean") {
        state.result = { kind: "boolean", value: parsed.boolean };
        showBoolean(parsed.boolean, took);
      } else {
        state.result = { kind: "table", vars: parsed.head.vars, rows: parsed.results.bindings };
        showTable(took);
      }
    }
  } catch (error) {
    if (sequence !== state.sequence) return;
    state.current = request;
    state.result = null;
    $("results").replaceChildren();
    $("resource-head").hidden = true;
    $("downloads").hidden = true;
    setStatus(error instanceof ServiceError ? "Failed." : "Failed: the answer could not be read.");
    showError(error instanceof ServiceError ? error : new ServiceError(0, String(error)), request);
  } finally {
    if (sequence === state.sequence) $("run").disabled = false;
  }
}

function describeRequest(request) {
  if (request.resource) return "";
  if (request.kind === "question") {
    const question = state.questions.find((q) => q.name === request.name);
    return ` · question: ${question ? question.title : request.name}`;
  }
  return "";
}

function timing(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function showDownloads(graph) {
  const box = $("downloads");
  box.hidden = false;
  box.querySelector('[data-download="csv"]').hidden = graph;
  box.querySelector('[data-download="json"]').hidden = graph;
  box.querySelector('[data-download="turtle"]').hidden = !graph;
}

function showBoolean(value, took) {
  const p = document.createElement("p");
  p.className = "boolean";
  p.textContent = value ? "Yes (true)" : "No (false)";
  $("results").replaceChildren(p);
  $("resource-head").hidden = true;
  setStatus(`ASK answered in ${timing(took)}${describeRequest(state.current)}`);
  showDownloads(false);
}

function showGraph(text, took) {
  const pre = document.createElement("pre");
  pre.className = "graph";
  pre.textContent = text || "# (an empty graph)";
  $("results").replaceChildren(pre);
  $("resource-head").hidden = true;
  const triples = text.split("\n").filter((line) => /[.;,]\s*$/.test(line) && !/^\s*@prefix/i.test(line)).length;
  setStatus(`Graph of about ${plural(triples, "statement", "statements")} (Turtle) · ${timing(took)}${describeRequest(state.current)}`);
  showDownloads(true);
}

/** Which cells of a row state a fact (subject, property, value), if the columns say so. */
function factColumns(vars) {
  const pick = (...names) => names.find((name) => vars.includes(name));
  const subject = pick("subject", "s");
  const property = pick("property", "predicate", "p");
  const value = pick("value", "object", "o");
  return subject && property && value ? { subject, property, value } : null;
}

/** The resources of a row whose sources one may want, with a label where the row has one. */
function rowResources(row, vars) {
  const seen = new Map();
  for (const name of vars) {
    const term = row[name];
    if (!term || term.type !== "uri" || seen.has(term.value)) continue;
    const label = row[`${name}Label`];
    seen.set(term.value, label && label.type !== "uri" ? label.value : compactIri(term.value));
  }
  return [...seen].map(([iri, label]) => ({ iri, label }));
}

/**
 * What the source button of a row looks up: the fact the row states (subject, property,
 * value columns), or else the facts that link the row's values to each other.
 */
function rowSource(row, vars, facts) {
  const resources = rowResources(row, vars);
  if (facts) {
    const s = row[facts.subject];
    const p = row[facts.property];
    const o = row[facts.value];
    if (s && s.type === "uri" && p && p.type === "uri" && sparqlTerm(o)) {
      return { fact: [s.value, p.value, o], resources };
    }
  }
  if (!resources.length) return null;
  const values = vars.map((name) => sparqlTerm(row[name])).filter(Boolean);
  return { row: { subjects: resources.map((r) => `<${r.iri}>`), values: [...new Set(values)] }, resources };
}

function showTable(took) {
  const { vars, rows } = state.result;
  const request = state.current;
  const facts = factColumns(vars);
  const withSources = rows.some((row) => rowSource(row, vars, facts));
  const table = document.createElement("table");
  table.className = "result";
  const caption = table.createCaption();
  caption.className = "visually-hidden";
  caption.textContent = request.resource ? `Facts about ${request.resource}` : "Query results";
  const head = table.createTHead().insertRow();
  const number = document.createElement("th");
  number.textContent = "#";
  number.scope = "col";
  head.append(number);
  if (withSources) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = "source";
    th.title = facts ? "Where each fact comes from" : "Where the facts about the row's first resource come from";
    head.append(th);
  }
  for (const name of vars) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = `?${name}`;
    head.append(th);
  }
  table.append(document.createElement("tbody"));
  state.table = { table, facts, withSources, self: request.resource || "" };
  state.renderedRows = 0;
  const results = $("results");
  results.replaceChildren();
  if (rows.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "No rows: nothing in the graph matches this query.";
    results.append(empty);
  } else {
    results.append(table);
    renderMoreRows();
  }
  showResourceHead(request, rows, vars);
  let status = `${plural(rows.length, "row", "rows")} in ${timing(took)}${describeRequest(request)}`;
  if (state.config.max_rows && rows.length >= state.config.max_rows) status += " (the service's row limit: add LIMIT/OFFSET to page)";
  setStatus(status);
  showDownloads(false);
}

function renderMoreRows() {
  const { vars, rows } = state.result;
  const { table, facts, withSources, self } = state.table;
  const body = table.tBodies[0];
  const end = Math.min(rows.length, state.renderedRows + RENDER_STEP);
  for (let i = state.renderedRows; i < end; i++) {
    const row = rows[i];
    const tr = body.insertRow();
    const n = tr.insertCell();
    n.className = "n";
    n.textContent = String(i + 1);
    if (withSources) {
      const cell = tr.insertCell();
      cell.className = "src";
      const source = rowSource(row, vars, facts);
      if (source) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "source-button";
        button.textContent = "❝ source";
        button.dataset.row = String(i);
        button.setAttribute("aria-label", `Source of row ${i + 1}`);
        button.title = source.fact
          ? "Show the source passage this fact was taken from"
          : "Show the source passages of the facts that link this row's values";
        cell.append(button);
      }
    }
    for (const name of vars) tr.insertCell().append(termNode(row[name], { self }));
  }
  state.renderedRows = end;
  const results = $("results");
  results.querySelector(".more")?.remove();
  if (end < rows.length) {
    const more = document.createElement("button");
    more.type = "button";
    more.className = "more small";
    more.textContent = `Show ${Math.min(RENDER_STEP, rows.length - end)} more of ${rows.length - end} remaining rows`;
    more.addEventListener("click", renderMoreRows);
    results.append(more);
  }
}

function labelOf(iri, rows) {
  const labels = rows.filter(
    (row) =>
      row.subject?.value === iri &&
      [RDFS + "label", SKOS + "prefLabel"].includes(row.property?.value) &&
      row.value?.type === "literal",
  );
  const rank = (row) => ({ en: 0, da: 1 })[row.value["xml:lang"]] ?? 2;
  labels.sort((a, b) => rank(a) - rank(b));
  return labels.length ? labels[0].value.value : compactIri(iri);
}

function showResourceHead(request, rows) {
  const head = $("resource-head");
  head.hidden = !request.resource;
  if (!request.resource) return;
  $("resource-label").textContent = labelOf(request.resource, rows);
  $("resource-iri").textContent = request.resource;
}

// ---------------------------------------------------------------------------------------
// Opening resources, history
// ---------------------------------------------------------------------------------------

function resourceQuery(iri) {
  return `PREFIX rdfs: <${RDFS}>
PREFIX skos: <${SKOS}>
# Everything the graph says about ${compactIri(iri)}: its own facts first,
# then the facts that point to it; ?linkedLabel names the resource at the other end.
SELECT ?subject ?property ?value (SAMPLE(?label) AS ?linkedLabel)
WHERE {
  { <${iri}> ?property ?value . BIND(<${iri}> AS ?subject) BIND(?value AS ?linked) }
  UNION
  { ?subject ?property <${iri}> . BIND(<${iri}> AS ?value) BIND(?subject AS ?linked) }
  OPTIONAL { ?linked skos:prefLabel|rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }
}
GROUP BY ?subject ?property ?value
ORDER BY DESC(?subject = <${iri}>) ?property ?value
`;
}

function resourceRequest(iri) {
  return { kind: "sparql", query: resourceQuery(iri), resource: iri };
}

function openResource(iri) {
  const request = resourceRequest(iri);
  questionPanel.close();
  editor.set(request.query);
  run(request);
  $("results-section").scrollIntoView({ block: "start", behavior: "smooth" });
}

function remember(request) {
  const url = pageUrl(request);
  const depth = history.state?.depth ?? 0;
  if (url === location.pathname + location.search) {
    history.replaceState({ request, depth }, "", url);
  } else {
    history.pushState({ request, depth: depth + 1 }, "", url);
  }
  $("back").hidden = (history.state?.depth ?? 0) === 0;
}

/** Put a request back on the page (editor, question panel) as if it had just been made. */
function restore(request) {
  if (!request) {
    questionPanel.close();
    editor.set(starterQuery(), { caretAtEnd: true });
    state.current = null;
    state.result = null;
    $("results").replaceChildren();
    $("resource-head").hidden = true;
    $("downloads").hidden = true;
    clearError();
    setStatus("Run a query or pick a question to see results.");
    return;
  }
  if (request.kind === "question") {
    const question = state.questions.find((q) => q.name === request.name);
    if (question) {
      questionPanel.open(question, request.params).then(() => run(request, { push: false }));
      return;
    }
  } else {
    questionPanel.close();
    editor.set(request.query);
  }
  run(request, { push: false });
}

window.addEventListener("popstate", (event) => {
  $("back").hidden = (event.state?.depth ?? 0) === 0;
  restore(event.state?.request ?? null);
});

function requestFromLocation() {
  const params = new URLSearchParams(location.search);
  if (params.has("resource")) return resourceRequest(params.get("resource"));
  if (params.has("question")) {
    const name = params.get("question");
    params.delete("question");
    return { kind: "question", name, params: Object.fromEntries(params) };
  }
  if (params.has("query")) return { kind: "sparql", query: params.get("query") };
  return null;
}

// ---------------------------------------------------------------------------------------
// The question library and the question panel
// ---------------------------------------------------------------------------------------

function showQuestionList() {
  const list = $("question-list");
  const filter = $("question-filter").value.trim().toLowerCase();
  const shown = state.questions.filter((q) =>
    [q.name, q.title, q.description].join(" ").toLowerCase().includes(filter),
  );
  list.replaceChildren();
  if (shown.length === 0) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = state.questions.length ? "No question matches." : "No questions are installed.";
    list.append(li);
  }
  for (const question of shown) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.question = question.name;
    button.title = question.description;
    if (state.question?.name === question.name) button.setAttribute("aria-current", "true");
    const title = document.createElement("span");
    title.className = "q-title";
    title.textContent = question.title;
    const meta = document.createElement("span");
    meta.className = "q-meta";
    const count = question.parameters.length;
    meta.textContent = `${question.name} · ${question.form}${count ? ` · ${plural(count, "parameter", "parameters")}` : ""}`;
    button.append(title, meta);
    button.addEventListener("click", () => questionPanel.open(question).catch(showLoadError));
    li.append(button);
    list.append(li);
  }
}

function showLoadError(error) {
  showError(error instanceof ServiceError ? error : new ServiceError(0, String(error)));
}

const INPUT_TYPES = { integer: "number", date: "date" };

const questionPanel = {};

questionPanel.open = async function open(question, values = null) {
  let text;
  try {
    const response = await fetch(question.query_url, { headers: { Accept: "application/sparql-query, text/plain" } });
    if (!response.ok) throw new ServiceError(response.status, await errorMessage(response));
    text = await response.text();
  } catch (error) {
    throw error instanceof ServiceError ? error : new ServiceError(0, String(error));
  }
  state.question = question;
  state.questionText = text;
  $("question-panel").hidden = false;
  $("question-title").textContent = question.title;
  $("question-description").textContent = question.description;
  const grid = $("question-parameters");
  grid.replaceChildren();
  for (const parameter of question.parameters) {
    const box = document.createElement("div");
    box.className = "parameter";
    const id = `param-${parameter.name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = parameter.name + " ";
    const type = document.createElement("span");
    type.className = "type";
    type.textContent = `(${parameter.type}${parameter.required ? ", required" : ""})`;
    label.append(type);
    const input = document.createElement("input");
    input.id = id;
    input.name = parameter.name;
    input.type = INPUT_TYPES[parameter.type] || "text";
    input.required = parameter.required;
    input.spellcheck = false;
    input.autocomplete = "off";
    input.value = values && parameter.name in values ? values[parameter.name] : parameter.default ?? "";
    if (parameter.default) input.placeholder = parameter.default;
    if (parameter.type === "iri") input.placeholder = input.placeholder || "an IRI, or a path such as id/…";
    input.addEventListener("input", () => this.updateLink());
    const help = document.createElement("p");
    help.className = "help";
    help.id = `${id}-help`;
    help.textContent = parameter.description + (parameter.default ? ` (default: ${parameter.default})` : "");
    input.setAttribute("aria-describedby", help.id);
    box.append(label, input, help);
    grid.append(box);
  }
  if (!question.parameters.length) {
    const none = document.createElement("p");
    none.className = "muted small";
    none.textContent = "This question takes no parameters.";
    grid.append(none);
  }
  editor.set(text);
  this.updateLink();
  showQuestionList();
};

questionPanel.values = function values() {
  const values = {};
  for (const input of $("question-parameters").querySelectorAll("input")) {
    if (input.value.trim() !== "") values[input.name] = input.value.trim();
  }
  return values;
};

questionPanel.request = function request() {
  return { kind: "question", name: state.question.name, params: this.values() };
};

questionPanel.updateLink = function updateLink() {
  if (!state.question) return;
  const params = new URLSearchParams(this.values()).toString();
  const link = $("question-link");
  link.href = state.question.url + (params ? `?${params}` : "");
  link.textContent = link.getAttribute("href");
  link.title = "The answer as plain JSON; add &format=csv for CSV";
};

questionPanel.close = function close() {
  state.question = null;
  state.questionText = "";
  $("question-panel").hidden = true;
  this.editedChanged();
  showQuestionList();
};

/** Whether Run binds the question's parameters (editor unchanged) or sends the editor's text. */
questionPanel.bound = function bound() {
  return Boolean(state.question) && editor.value === state.questionText;
};

questionPanel.editedChanged = function editedChanged() {
  const bound = this.bound();
  $("run-label").textContent = bound ? "Run question" : "Run query";
  $("question-edited").hidden = !state.question || bound;
};

function runQuestion() {
  const form = $("question-form");
  const missing = [...form.querySelectorAll("input")].find((input) => input.required && !input.value.trim());
  if (missing) {
    showError(new ServiceError(422, `parameter '${missing.name}' is required`));
    missing.focus();
    return;
  }
  if (!questionPanel.bound()) editor.set(state.questionText);
  run(questionPanel.request());
}

function runFromEditor() {
  if (questionPanel.bound()) {
    runQuestion();
    return;
  }
  const missing = missingPrefixes(editor.value);
  if (missing.length) {
    // Declare the project's prefixes the query uses but forgot, visibly, in the editor.
    editor.set(prefixLines(missing) + editor.value, { caretAtEnd: true });
  }
  if (!editor.value.trim()) {
    showError(new ServiceError(400, "The editor is empty: write a query, or pick a question."));
    return;
  }
  run({ kind: "sparql", query: editor.value });
}

// ---------------------------------------------------------------------------------------
// Sources: the passage (named graph) each fact was taken from, with its quotation
// ---------------------------------------------------------------------------------------

function sourcesQuery(source) {
  let pattern;
  let what;
  if (source.fact) {
    pattern = `  GRAPH ?passage { <${source.fact[0]}> <${source.fact[1]}> ${sparqlTerm(source.fact[2])} }`;
    what = "this fact";
  } else if (source.row) {
    pattern = [
      `  VALUES ?subject { ${source.row.subjects.join(" ")} }`,
      `  VALUES ?value { ${source.row.values.join(" ")} }`,
      "  GRAPH ?passage { ?subject ?property ?value }",
    ].join("\n");
    what = "each fact linking the values of the row";
  } else {
    pattern = `  GRAPH ?passage { { <${source.about}> ?property ?value } UNION { ?subject ?property <${source.about}> } }`;
    what = `each fact about ${compactIri(source.about)}`;
  }
  return `PREFIX uds: <${UDS}>
PREFIX rdfs: <${RDFS}>
# Where ${what} comes from. Every fact lives in a named graph
# named after its source passage; the passage carries the quotation.
SELECT ?passage ?section ?line ?quote ?graphLabel (COUNT(*) AS ?facts)
WHERE {
${pattern}
  OPTIONAL { ?passage uds:quotation ?quote }
  OPTIONAL { ?passage uds:section ?section }
  OPTIONAL { ?passage uds:sourceLine ?line }
  OPTIONAL { ?passage rdfs:label ?graphLabel FILTER(langMatches(lang(?graphLabel), "en")) }
}
GROUP BY ?passage ?section ?line ?quote ?graphLabel
ORDER BY ?line ?passage
`;
}

const SOURCE_TITLES = {
  fact: "Where this fact comes from",
  row: "Where this row comes from",
  about: "Where the facts about it come from",
};

async function showSources(source, description) {
  const dialog = $("sources-dialog");
  const body = $("sources-body");
  const query = sourcesQuery(source);
  state.sourcesQuery = query;
  $("sources-query").textContent = query;
  $("sources-title").textContent = SOURCE_TITLES[source.fact ? "fact" : source.row ? "row" : "about"];
  $("sources-subject").textContent = description;
  showSourceChoices(source);
  body.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Looking up the sources…" }));
  if (!dialog.open) dialog.showModal();
  try {
    const response = await send({ kind: "sparql", query }, RESULTS_JSON);
    const rows = JSON.parse(await response.text()).results.bindings;
    body.replaceChildren(...sourceNodes(rows));
  } catch (error) {
    const box = document.createElement("div");
    box.className = "error";
    box.append(Object.assign(document.createElement("pre"), { textContent: error.message }));
    body.replaceChildren(box);
  }
}

/** Buttons to look up everything about one of the row's resources instead. */
function showSourceChoices(source) {
  const box = $("sources-choices");
  box.replaceChildren();
  const resources = (source.resources || []).filter((r) => r.iri !== source.about);
  box.hidden = resources.length === 0;
  if (box.hidden) return;
  box.append(Object.assign(document.createElement("span"), { textContent: "Or the sources of everything about:" }));
  for (const resource of resources) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chip small";
    button.textContent = resource.label;
    button.title = resource.iri;
    button.addEventListener("click", () =>
      showSources({ about: resource.iri, resources: source.resources }, `About ${resource.label} (${resource.iri})`),
    );
    box.append(button);
  }
}

function sourceNodes(rows) {
  const passages = rows.filter((row) => row.quote);
  const others = rows.filter((row) => !row.quote);
  const nodes = [];
  if (!rows.length) {
    nodes.push(Object.assign(document.createElement("p"), {
      textContent: "No named graph holds this: it has no recorded source.",
    }));
  }
  if (passages.length) {
    const intro = document.createElement("p");
    intro.className = "muted small";
    intro.textContent = `Quoted from ${plural(passages.length, "passage", "passages")} of the source document (Danish):`;
    nodes.push(intro);
  }
  for (const row of passages) {
    const figure = document.createElement("figure");
    figure.className = "passage";
    const quote = document.createElement("blockquote");
    quote.lang = row.quote["xml:lang"] || "da";
    quote.textContent = row.quote.value; // exact: a tab separates the cells of a table row
    const where = document.createElement("figcaption");
    where.className = "where";
    const bits = [];
    if (row.line) bits.push(`Line ${row.line.value}`);
    if (row.section) bits.push(`Section: ${row.section.value}`);
    if (row.facts && Number(row.facts.value) > 1) bits.push(`${row.facts.value} facts`);
    for (const bit of bits) where.append(Object.assign(document.createElement("span"), { textContent: bit }));
    const open = document.createElement("a");
    open.href = resourceUrl(row.passage.value);
    open.dataset.iri = row.passage.value;
    open.className = "iri";
    open.textContent = "Open the passage";
    open.title = row.passage.value;
    where.append(open);
    figure.append(quote, where);
    nodes.push(figure);
  }
  if (others.length) {
    const box = document.createElement("div");
    box.className = "other-graphs";
    box.append(passages.length ? "Also stated in graphs that are not source passages:" : "Stated only in graphs that are not source passages (added by the project, not quoted from the source text):");
    const list = document.createElement("ul");
    for (const row of others) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = resourceUrl(row.passage.value);
      link.dataset.iri = row.passage.value;
      link.className = "iri";
      link.textContent = row.graphLabel ? row.graphLabel.value : compactIri(row.passage.value);
      link.title = row.passage.value;
      li.append(link);
      list.append(li);
    }
    box.append(list);
    nodes.push(box);
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------
// Downloads: the same request again in another format, saved through a Blob
// ---------------------------------------------------------------------------------------

const DOWNLOADS = {
  csv: { accept: "text/csv", questionFormat: "csv", extension: "csv" },
  json: { accept: RESULTS_JSON, questionFormat: "json", extension: "json" },
  turtle: { accept: TURTLE, questionFormat: "turtle", extension: "ttl" },
};

function downloadName(request, extension) {
  let stem = "udsyn-query";
  if (request.kind === "question") stem = request.name;
  else if (request.resource) stem = "udsyn-" + compactIri(request.resource).replace(/[^\w.-]+/g, "-").replace(/^-|-$/g, "");
  return `${stem}.${extension}`;
}

async function download(kind) {
  const request = state.current;
  if (!request) return;
  const format = DOWNLOADS[kind];
  const button = $("downloads").querySelector(`[data-download="${kind}"]`);
  button.disabled = true;
  try {
    const response = await send(request, format.accept, format.questionFormat);
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = downloadName(request, format.extension);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    showError(error instanceof ServiceError ? error : new ServiceError(0, String(error)), request);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------

function wire() {
  editor.init();
  $("run").addEventListener("click", runFromEditor);
  $("run-keys").textContent = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘ ↵" : "Ctrl ↵";
  $("reset-query").addEventListener("click", () => {
    questionPanel.close();
    editor.set(starterQuery(), { caretAtEnd: true });
    editor.area.focus();
  });
  $("question-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runQuestion();
  });
  $("question-close").addEventListener("click", () => {
    questionPanel.close();
    editor.area.focus();
  });
  $("question-restore").addEventListener("click", () => editor.set(state.questionText));
  $("question-filter").addEventListener("input", showQuestionList);
  $("back").addEventListener("click", () => history.back());
  $("downloads").addEventListener("click", (event) => {
    const button = event.target.closest("[data-download]");
    if (button) download(button.dataset.download);
  });
  // Links to resources open them in the page; with a modifier key, the browser does as usual.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-iri]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const dialog = $("sources-dialog");
    if (dialog.open) dialog.close();
    openResource(link.dataset.iri);
  });
  $("results").addEventListener("click", (event) => {
    const button = event.target.closest("button.source-button");
    if (!button) return;
    const row = state.result.rows[Number(button.dataset.row)];
    const source = rowSource(row, state.result.vars, state.table.facts);
    const description = source.fact
      ? `The fact: ${compactIri(source.fact[0])}  ${compactIri(source.fact[1])}  ${source.fact[2].type === "uri" ? compactIri(source.fact[2].value) : sparqlTerm(source.fact[2])}`
      : `Row ${Number(button.dataset.row) + 1}: the facts that link ${source.resources.map((r) => r.label).join(", ")} to each other and to the row's values.`;
    showSources(source, description);
  });
  $("resource-sources").addEventListener("click", () => {
    const iri = state.current?.resource;
    if (iri) showSources({ about: iri }, `About ${iri}`);
  });
  $("sources-close").addEventListener("click", () => $("sources-dialog").close());
  $("sources-dialog").addEventListener("click", (event) => {
    if (event.target === $("sources-dialog")) $("sources-dialog").close(); // the backdrop
  });
  $("sources-open").addEventListener("click", () => {
    $("sources-dialog").close();
    questionPanel.close();
    editor.set(state.sourcesQuery);
    run({ kind: "sparql", query: state.sourcesQuery });
  });
}

/** The prefixes the service gives every query, listed under the editor. */
function showPrefixes() {
  const items = Object.entries(state.config.prefixes).map(([name, namespace]) => {
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = `${name}: <${namespace}>`;
    item.append(code);
    return item;
  });
  $("prefix-list").replaceChildren(...items);
}

async function start() {
  wire();
  const [config, questions] = await Promise.all([
    fetch("/page/config.json").then((r) => (r.ok ? r.json() : null)).catch(() => null),
    fetch("/questions", { headers: { Accept: "application/json" } }).then((r) => (r.ok ? r.json() : [])).catch(() => []),
  ]);
  if (config) state.config = config;
  state.questions = questions;
  $("version").textContent = state.config.version ? `v${state.config.version}` : "";
  $("base-iri").textContent = state.config.base_iri;
  $("endpoint-url").textContent = new URL("/sparql", location.href).href;
  showPrefixes();
  showQuestionList();
  const request = requestFromLocation();
  history.replaceState({ request, depth: 0 }, "", location.href);
  if (request) restore(request);
  else editor.set(starterQuery(), { caretAtEnd: true });
  document.body.dataset.ready = "true";
}

start();
