// Behaviour every page shares, in a file rather than inline handlers: the Content-Security-Policy runs no
// onchange="..." attribute.
document.getElementById("lang-select")?.addEventListener("change", (event) => event.target.form.submit());
