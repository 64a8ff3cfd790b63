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

// A button that prints the page (the certificate).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
// A toolkit process's timer on the facilitator's session page: the steps are a plain list without this; with it,
// Start / Pause / Next step walk through them, the current step marked and its time counting down. Only the
// change of step is announced (role="status"); the seconds tick in a timer that screen readers do not read out.
const setUpProcessTimer = (section) => {
  const steps = Array.from(section.querySelectorAll(".process-steps li[data-minutes]"));
  if (!steps.length) return;
  const controls = document.createElement("div");
  controls.className = "process-timer";
  const clock = document.createElement("p");
  clock.className = "process-timer__clock";
  clock.setAttribute("role", "timer");
  const status = document.createElement("p");
  status.className = "process-timer__status";
  status.setAttribute("role", "status");
  const buttons = document.createElement("div");
  buttons.className = "actions";
  const button = (label, secondary) => {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    if (secondary) element.className = "button--secondary";
    buttons.appendChild(element);
    return element;
  };
  const start = button("Start", false);
  const next = button("Next step", true);
  const reset = button("Back to step 1", true);
  controls.append(clock, status, buttons);
  section.appendChild(controls);

  let index = 0;
  let left = Number(steps[0].dataset.minutes) * 60;
  let ticking = null;
  const show = () => {
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    clock.textContent = index < steps.length ? `${minutes}:${seconds} left` : "Done";
    steps.forEach((step, position) => {
      if (position === index) step.setAttribute("aria-current", "step");
      else step.removeAttribute("aria-current");
    });
  };
  const announce = () => {
    status.textContent = index < steps.length
      ? `Step ${index + 1} of ${steps.length}: ${steps[index].querySelector("strong").textContent}`
      : "All the steps are done.";
  };
  const stop = () => {
    clearInterval(ticking);
    ticking = null;
    start.textContent = "Start";
  };
  const goTo = (position) => {
    index = position;
    left = index < steps.length ? Number(steps[index].dataset.minutes) * 60 : 0;
    if (index >= steps.length) stop();
    show();
    announce();
  };
  start.addEventListener("click", () => {
    if (ticking) { stop(); start.textContent = "Carry on"; return; }
    if (index >= steps.length) goTo(0);
    if (!status.textContent) announce();
    start.textContent = "Pause";
    ticking = setInterval(() => {
      left -= 1;
      if (left <= 0) goTo(index + 1);
      else show();
    }, 1000);
  });
  next.addEventListener("click", () => goTo(Math.min(index + 1, steps.length)));
  reset.addEventListener("click", () => { stop(); goTo(0); });
  show();
};

document.querySelectorAll("[data-process-timer]").forEach(setUpProcessTimer);
// The printable register's own button; the browser's print command does the same without it.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
