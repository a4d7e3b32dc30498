// sellergate's GraphiQL page: ask for a token, keep it in this closure only (never in storage),
// then mount GraphiQL with a fetcher that sends it. Reloading the page forgets it.
(function () {
  "use strict";
  const form = document.getElementById("token-form");
  const input = document.getElementById("token");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    input.value = "";
    form.remove();
    const fetcher = GraphiQL.createFetcher({
      url: window.location.pathname,
      headers: { Authorization: "Bearer " + token },
    });
    const root = document.getElementById("graphiql");
    root.hidden = false;
    ReactDOM.createRoot(root).render(React.createElement(GraphiQL, { fetcher: fetcher }));
  });
})();
