// The deposit page's card form. Stripe.js (loaded from Stripe by the page, before this script) takes the card in
// Stripe's own frame, so the number never reaches the marketplace; confirmCardPayment pays the deposit's
// PaymentIntent with the client secret the page was given. The deposit is marked held by Stripe's signed webhook,
// not by this script: after paying, the page is loaded again to show where the deposit stands.
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("deposit-card");
    if (!form || typeof window.Stripe !== "function") return;
    var stripe = window.Stripe(form.dataset.key);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var message = document.getElementById("card-message");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      message.textContent = "";
      stripe.confirmCardPayment(form.dataset.secret, { payment_method: { card: card } }).then(function (result) {
        if (result.error) {
          message.textContent = result.error.message || form.dataset.failed;
          button.disabled = false;
          return;
        }
        message.textContent = form.dataset.paid;
        window.location.assign(window.location.pathname);
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
