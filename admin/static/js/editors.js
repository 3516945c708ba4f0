/* Form editors over the JSON the API keeps: a flow's steps and a segment's rules.
 *
 * Each editor replaces a textarea (data-editor="steps" or "segment"), renders what it
 * holds as form controls, and writes the JSON back on every change (firing "input", so
 * the live preview and audience count follow). The textarea stays as the form field the
 * server reads; without JavaScript it is shown as it is.
 */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function labelled(text, control, help) {
    var id = "ed-" + Math.random().toString(36).slice(2);
    control.id = id;
    return el("div", {className: "form-group mb-2"}, [
      el("label", {"for": id, className: "small font-weight-bold mb-1", text: text}), control,
      help ? el("small", {className: "form-text text-muted", text: help}) : null]);
  }

  function select(options, value) {
    var s = el("select", {className: "form-control form-control-sm"});
    options.forEach(function (o) {
      var option = el("option", {value: o[0], text: o[1]});
      if (String(o[0]) === String(value)) option.selected = true;
      s.appendChild(option);
    });
    return s;
  }

  function input(type, value, extra) {
    var i = el("input", Object.assign({type: type, className: "form-control form-control-sm"}, extra || {}));
    i.value = value == null ? "" : value;
    return i;
  }

  function parse(textarea, fallback) {
    try { var v = JSON.parse(textarea.value || ""); return v == null ? fallback : v; }
    catch (e) { return null; }
  }

  function mount(textarea, render) {
    var box = el("div", {className: "json-editor border rounded p-2 bg-white"});
    textarea.parentNode.insertBefore(box, textarea);
    textarea.classList.add("d-none");
    function write(value) {
      textarea.value = JSON.stringify(value, null, 1);
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
    }
    render(box, write);
  }

  /* ---- Flow steps ---- */
  var UNITS = [["m", "minutes"], ["h", "hours"], ["d", "days"]];

  function stepsEditor(textarea) {
    var steps = parse(textarea, []);
    if (!Array.isArray(steps)) return;  // not readable: leave the JSON as it is
    var config = JSON.parse(textarea.getAttribute("data-config") || "{}");
    mount(textarea, function (box, write) {
      function save() { write(steps); }
      function render() {
        box.textContent = "";
        steps.forEach(function (step, index) { box.appendChild(card(step, index)); });
        var add = el("div", {className: "btn-group btn-group-sm"}, [
          button("+ A text", function () { steps.push({send: config.brand ? config.brand + ": " : ""}); render(); save(); }),
          button("+ A wait", function () { steps.push({wait: "1d"}); render(); save(); }),
          button("+ A condition", function () { steps.push({stop_if: "converted"}); render(); save(); })]);
        box.appendChild(add);
      }
      function button(text, onclick, cls) {
        var b = el("button", {type: "button", className: "btn " + (cls || "btn-outline-secondary"), text: text});
        b.addEventListener("click", onclick);
        return b;
      }
      function card(step, index) {
        var kind = "send" in step ? "send" : "wait" in step ? "wait" : "stop_if";
        var tools = el("div", {className: "float-right btn-group btn-group-sm"}, [
          index > 0 ? button("↑", function () { steps.splice(index - 1, 0, steps.splice(index, 1)[0]); render(); save(); }) : null,
          index < steps.length - 1 ? button("↓", function () { steps.splice(index + 1, 0, steps.splice(index, 1)[0]); render(); save(); }) : null,
          button("Remove", function () { steps.splice(index, 1); render(); save(); }, "btn-outline-danger")]);
        tools.querySelectorAll("button")[0].setAttribute("aria-label", "Move step " + (index + 1));
        var title = {send: "Send a text", wait: "Wait", stop_if: "Stop if"}[kind];
        var body = el("div", {className: "card-body p-2"}, [tools, el("strong", {text: "Step " + (index + 1) + ": " + title})]);
        if (kind === "send") sendFields(body, step);
        else if (kind === "wait") waitFields(body, step, index);
        else stopFields(body, step);
        return el("div", {className: "card mb-2 step-card", "data-kind": kind}, [body]);
      }
      function sendFields(body, step) {
        var text = el("textarea", {className: "form-control form-control-sm step-text", rows: "3"});
        text.value = step.send;
        text.addEventListener("input", function () { step.send = text.value; save(); });
        if ((config.templates || []).length) {
          var picker = select([["", "Start from a ready-made text…"]].concat(config.templates.map(function (t, i) { return [i, t.name]; })), "");
          picker.addEventListener("change", function () {
            if (picker.value === "") return;
            text.value = config.templates[picker.value].text; step.send = text.value; save();
          });
          body.appendChild(labelled("Template", picker));
        }
        body.appendChild(labelled("Text", text, "Placeholders: " + (config.placeholders || []).join(" ")));
        var link = input("url", step.link || "", {placeholder: "https://…"});
        link.addEventListener("input", function () { if (link.value) step.link = link.value; else delete step.link; save(); });
        body.appendChild(labelled("Where [branded link] goes", link, "Leave empty to use the event's own page."));
        var offer = input("text", step.offer || "");
        offer.addEventListener("input", function () { if (offer.value) step.offer = offer.value; else delete step.offer; save(); });
        body.appendChild(labelled("[offer]", offer));
        var expires = el("input", {type: "checkbox", className: "form-check-input"});
        expires.checked = !!step.expires;
        expires.addEventListener("change", function () { if (expires.checked) step.expires = true; else delete step.expires; save(); });
        var id = "ed-" + Math.random().toString(36).slice(2); expires.id = id;
        body.appendChild(el("div", {className: "form-check"}, [expires,
          el("label", {className: "form-check-label small", "for": id, text: "Drop it if it could only arrive after the event (for reminders)"})]));
      }
      function waitFields(body, step) {
        var before = typeof step.wait === "object";
        var spec = before ? step.wait.before : step.wait;
        var match = /^(\d+)\s*([mhd])$/.exec(spec || "1d") || [null, "1", "d"];
        var amount = input("number", match[1], {min: "1", max: "9999"});
        var unit = select(UNITS, match[2]);
        var mode = select([["after", "after the step before"], ["before", "before the event's time (e.g. an appointment)"]], before ? "before" : "after");
        function update() {
          var value = (amount.value || "1") + unit.value;
          step.wait = mode.value === "before" ? {before: value} : value; save();
        }
        [amount, unit, mode].forEach(function (c) { c.addEventListener("change", update); c.addEventListener("input", update); });
        body.appendChild(el("div", {className: "form-row"}, [
          el("div", {className: "col-3"}, [labelled("How long", amount)]),
          el("div", {className: "col-3"}, [labelled("Unit", unit)]),
          el("div", {className: "col-6"}, [labelled("Counted", mode)])]));
      }
      function stopFields(body, step) {
        var choices = [["converted", "the person converted (ordered, booked…)"]].concat(
          (config.events || []).map(function (e) { return [e, "a " + e + " event came for them"]; }));
        var s = select(choices, step.stop_if);
        s.addEventListener("change", function () { step.stop_if = s.value; save(); });
        body.appendChild(labelled("Stop the flow for this person if", s));
      }
      render();
    });
  }

  /* ---- Segment rules ---- */
  var RULES = [
    ["consent", "Opted in to"], ["source", "Opted in through"], ["opted_in_within_days", "Opted in within the last (days)"],
    ["tag", "Has the tag"], ["language", "Prefers the language"], ["attribute", "Has an attribute"],
    ["ordered_within_days", "Ordered within the last (days)"],
    ["no_order_within_days", "No order within the last (days)"], ["total_spent_at_least", "Spent at least ($)"]];
  var OPS = [["=", "is"], ["!=", "is not"], [">", "more than"], [">=", "at least"], ["<", "less than"], ["<=", "at most"]];

  function segmentEditor(textarea) {
    var definition = parse(textarea, {all: []});
    if (!definition || typeof definition !== "object" || (definition.all && !Array.isArray(definition.all))) return;
    definition.all = definition.all || [];
    var config = JSON.parse(textarea.getAttribute("data-config") || "{}");
    var types = (config.types || ["marketing"]).map(function (t) { return [t, t]; });
    var sources = (config.sources || ["web_form", "keyword"]).map(function (s) { return [s, s.replace(/_/g, " ")]; });
    mount(textarea, function (box, write) {
      function save() { write(definition); }
      function kindOf(rule) { return RULES.map(function (r) { return r[0]; }).filter(function (k) { return k in rule; })[0] || "tag"; }
      function render() {
        box.textContent = "";
        box.appendChild(el("div", {className: "small text-muted mb-2", text: definition.all.length ? "People who match every rule:" : "Everyone (add a rule to narrow it down)."}));
        definition.all.forEach(function (rule, index) { box.appendChild(row(rule, index)); });
        var add = el("button", {type: "button", className: "btn btn-sm btn-outline-secondary", text: "+ A rule"});
        add.addEventListener("click", function () { definition.all.push({consent: "marketing"}); render(); save(); });
        box.appendChild(add);
      }
      function row(rule, index) {
        var kind = kindOf(rule);
        var what = select(RULES, kind);
        what.setAttribute("aria-label", "Rule " + (index + 1));
        what.addEventListener("change", function () {
          var fresh = {consent: {consent: "marketing"}, source: {source: "web_form", type: "marketing"},
            opted_in_within_days: {opted_in_within_days: 90, type: "marketing"}, tag: {tag: ""},
            language: {language: "es"}, attribute: {attribute: "", op: "=", value: ""},
            ordered_within_days: {ordered_within_days: 90}, no_order_within_days: {no_order_within_days: 90},
            total_spent_at_least: {total_spent_at_least: 100}}[what.value];
          definition.all[index] = fresh; render(); save();
        });
        var cells = [el("div", {className: "col-md-4"}, [what])];
        function field(control, key, number) {
          control.addEventListener("input", function () { rule[key] = number ? Number(control.value) : control.value; save(); });
          control.addEventListener("change", function () { rule[key] = number ? Number(control.value) : control.value; save(); });
          cells.push(el("div", {className: "col"}, [control]));
        }
        if (kind === "consent") field(select(types, rule.consent), "consent");
        if (kind === "source") { field(select(sources, rule.source), "source"); field(select(types, rule.type || "marketing"), "type"); }
        if (kind === "opted_in_within_days") { field(input("number", rule.opted_in_within_days, {min: "1"}), "opted_in_within_days", true); field(select(types, rule.type || "marketing"), "type"); }
        if (kind === "tag") field(input("text", rule.tag, {placeholder: "vip"}), "tag");
        if (kind === "language") field(input("text", rule.language, {placeholder: "es"}), "language");
        if (kind === "attribute") {
          field(input("text", rule.attribute, {placeholder: "orders"}), "attribute");
          field(select(OPS, rule.op || "="), "op");
          var value = input("text", rule.value, {placeholder: "3"});
          value.addEventListener("input", function () { var n = Number(value.value); rule.value = value.value !== "" && !isNaN(n) ? n : value.value; save(); });
          cells.push(el("div", {className: "col"}, [value]));
        }
        if (kind === "ordered_within_days") field(input("number", rule.ordered_within_days, {min: "1"}), "ordered_within_days", true);
        if (kind === "no_order_within_days") field(input("number", rule.no_order_within_days, {min: "1"}), "no_order_within_days", true);
        if (kind === "total_spent_at_least") field(input("number", rule.total_spent_at_least, {min: "0", step: "0.01"}), "total_spent_at_least", true);
        var remove = el("button", {type: "button", className: "btn btn-sm btn-outline-danger", text: "Remove"});
        remove.addEventListener("click", function () { definition.all.splice(index, 1); render(); save(); });
        cells.push(el("div", {className: "col-auto"}, [remove]));
        return el("div", {className: "form-row mb-2 segment-rule"}, cells);
      }
      render();
    });
  }

  // An opt-in form's live preview: the page as people will see it, from the unsaved values.
  function formPreview(frame) {
    var form = frame.closest(".row").querySelector("form");
    if (!form) return;
    var names = ["name", "slug", "campaign", "disclosure", "message_types", "heading", "ask_name",
                 "ask_email", "ask_zip", "double_opt_in", "flow"];
    var timer = null;
    function refresh() {
      var params = new URLSearchParams();
      names.forEach(function (name) {
        var field = form.elements[name];
        if (!field) return;
        if (field.type === "checkbox") { if (field.checked) params.append(name, "y"); return; }
        if (field.multiple) {
          Array.prototype.forEach.call(field.options, function (o) { if (o.selected) params.append(name, o.value); });
          return;
        }
        if (field.value && field.value !== "__None") params.append(name, field.value);
      });
      frame.src = frame.getAttribute("data-src") + "?" + params.toString();
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    if (window.jQuery) window.jQuery(form).on("change", "select", later);  // select2 widgets
    refresh();
  }

  document.querySelectorAll("iframe#form-preview").forEach(formPreview);
  document.querySelectorAll("textarea[data-editor=steps]").forEach(stepsEditor);
  document.querySelectorAll("textarea[data-editor=segment]").forEach(segmentEditor);
})();
