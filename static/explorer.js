/* The development API explorer (wizard/api/explorer.py): GraphiQL on this server's POST /graphql.
 * No inline script (the pages' CSP); the endpoint and the first query come in data-* attributes. */
(function () {
  "use strict";
  var el = document.getElementById("graphiql");
  if (!el || !window.GraphiQL || !window.React || !window.ReactDOM) { return; }
  var fetcher = window.GraphiQL.createFetcher({ url: el.dataset.endpoint });
  window.ReactDOM.createRoot(el).render(window.React.createElement(window.GraphiQL, {
    fetcher: fetcher,
    defaultQuery: el.dataset.defaultQuery,
    defaultHeaders: '{"Authorization": "Bearer "}',
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,   // a token typed here is not kept in the browser's storage
    defaultEditorToolsVisibility: "headers"
  }));
}());
