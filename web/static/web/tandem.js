// Small enhancements only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  const done = () => {
    const status = document.getElementById(button.dataset.copy + "-status");
    if (status) status.textContent = "Copied.";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => { field.select(); });
  } else {
    field.select();
    document.execCommand("copy");
    done();
  }
});

// A form whose submit asks for confirmation (cancelling a series, ending a match).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The printable register's own button; the browser's print command does the same without it.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
