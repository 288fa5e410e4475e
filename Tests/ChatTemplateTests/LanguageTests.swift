import Foundation
import IRPOCore
import Testing

private func render(_ source: String, _ variables: [String: TemplateValue] = [:]) throws -> String {
    try ChatTemplate(source: source).render(variables: variables, now: Fixtures.now, timeZone: Fixtures.utc)
}

/// The pieces of the language, with the expected text written out (the snippet fixtures check
/// the same ground against Jinja itself).
@Suite struct LanguageTests {
    @Test func blockTagsTakeTheirLineWithThem() throws {
        // trim_blocks drops the newline after a block tag, lstrip_blocks the indentation before it.
        let source = """
            <s>
            {% for m in messages %}
                {% if m == 'a' %}
                A
                {% else %}
                other
                {% endif %}
            {% endfor %}
            </s>
            """
        #expect(try render(source, ["messages": ["a", "b"]]) == "<s>\n    A\n    other\n</s>")
    }

    @Test func outputTagsKeepTheirLine() throws {
        #expect(try render("  {{ 'x' }}\ny") == "  x\ny")
    }

    @Test func minusStripsAllWhitespaceOnItsSide() throws {
        #expect(try render("a \n {{- 'b' -}} \n c") == "abc")
        #expect(try render("a\n\n{%- if true -%}\n\n  b{%- endif %}") == "ab")
        #expect(try render("x {#- note -#} y") == "xy")
    }

    @Test func plusKeepsWhatTheRulesWouldDrop() throws {
        #expect(try render("  {%+ if true %}x{% endif %}") == "  x")
        #expect(try render("{% if true +%}\nx{% endif %}") == "\nx")
    }

    @Test func oneTrailingNewlineIsDropped() throws {
        #expect(try render("a\n") == "a")
        #expect(try render("a\n\n") == "a\n")
        #expect(try render("a\r\nb") == "a\nb")
    }

    @Test func loopVariables() throws {
        let source = "{% for x in xs %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }} {% endfor %}"
        #expect(try render(source, ["xs": ["a", "b", "c"]]) == "01TrueFalse3 12FalseFalse3 23FalseTrue3 ")
        #expect(try render("{% for x in [] %}x{% else %}none{% endfor %}") == "none")
        #expect(try render("{% for x in [1, 2, 3, 4] if x > 2 %}{{ loop.index }}/{{ loop.length }} {% endfor %}") == "1/2 2/2 ")
        #expect(try render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}{{ v }}{% endfor %}") == "a1b2")
    }

    @Test func setInsideALoopStaysInTheLoopButNamespacesCarry() throws {
        #expect(try render("{% set n = 0 %}{% for i in [1, 2] %}{% set n = n + i %}{% endfor %}{{ n }}") == "0")
        let source = "{% set ns = namespace(n=0) %}{% for i in [1, 2] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"
        #expect(try render(source) == "3")
        #expect(try render("{% if true %}{% set z = 'if bodies share the scope' %}{% endif %}{{ z }}") == "if bodies share the scope")
    }

    @Test func filters() throws {
        #expect(try render("{{ '  hi \n'|trim }}") == "hi")
        #expect(try render("{{ xs|length }} {{ 'héllo'|length }}", ["xs": [1, 2]]) == "2 5")
        #expect(try render("{{ 'Ab'|upper }}{{ 'Ab'|lower }}") == "ABab")
        #expect(try render("{{ missing|default('d') }} {{ none|default('d') }}") == "d None")
        #expect(try render("{{ ['a', 1, none]|join(', ') }}") == "a, 1, None")
        #expect(try render("{{ 3|string ~ none|string }}") == "3None")
        #expect(try render("{{ {'a': 1}|items|list }}") == "[('a', 1)]")
        #expect(try render("{{ xs|reject('equalto', 'b')|join }}", ["xs": ["a", "b", "c"]]) == "ac")
        #expect(try render("{{ ms|selectattr('role', 'equalto', 'user')|list|length }}",
                           ["ms": [["role": "user"], ["role": "system"], ["role": "user"]]]) == "2")
    }

    @Test func tojsonIsPythonsJsonDumps() throws {
        let v: TemplateValue = ["b": [1, 2.5, .none, true], "a": "é\n\"", "e": [:]]
        #expect(try render("{{ v|tojson }}", ["v": v]) == #"{"b": [1, 2.5, null, true], "a": "é\n\"", "e": {}}"#)
        #expect(try render("{{ v|tojson(indent=2) }}", ["v": ["k": [1]]]) == "{\n  \"k\": [\n    1\n  ]\n}")
        #expect(try render("{{ v|tojson(sort_keys=true) }}", ["v": ["b": 1, "a": 2]]) == #"{"a": 2, "b": 1}"#)
    }

    @Test func subscriptsAndSlices() throws {
        let m: TemplateValue = ["role": "user", "content": "hi"]
        #expect(try render("{{ m['role'] }} {{ m.content }} [{{ m.missing }}]", ["m": m]) == "user hi []")
        let xs: TemplateValue = [1, 2, 3, 4]
        #expect(try render("{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[-1] }} [{{ xs[9] }}]", ["xs": xs])
                == "[2, 3, 4] [1, 2, 3] [4, 3, 2, 1] 4 []")
        #expect(try render("{{ 'héllo'[1:3] }} {{ 'abc'[::-1] }}") == "él cba")
    }

    @Test func pythonValuesPrintAsPythonPrintsThem() throws {
        #expect(try render("{{ none }} {{ true }} {{ 1.0 }} {{ 1e16 }} {{ 1e-5 }} {{ 0.1 + 0.2 }} {{ 7 / 2 }} {{ -7 // 2 }}")
                == "None True 1.0 1e+16 1e-05 0.30000000000000004 3.5 -4")
        #expect(try render(#"{{ ['a', "it's", none, (1,)] }}"#) == #"['a', "it's", None, (1,)]"#)
        #expect(try render(#"{{ 'tab\there\u00e9\x41' }}"#) == "tab\thereéA")
    }

    @Test func operators() throws {
        #expect(try render("{{ 'a' ~ 1 ~ missing }} {{ 'ab' * 2 }} {{ 2 ** 10 }} {{ -7 % 3 }}") == "a1 abab 1024 2")
        #expect(try render("{{ 1 == 1.0 }} {{ 'a' in 'cat' }} {{ 'x' not in ['x'] }} {{ 1 < 2 < 3 }}") == "True True False True")
        #expect(try render("{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ not none }} {{ 'y' if false else 'n' }}") == "x b True n")
        #expect(try render("{{ x is defined }} {{ x is not none }} {{ 's' is string }} {{ {} is mapping }}") == "False True True True")
    }

    @Test func methods() throws {
        #expect(try render("{{ '  a '.strip() }}|{{ 'abc'.startswith('ab') }}|{{ 'a,b'.split(',') }}|{{ ' a  b '.split() }}")
                == "a|True|['a', 'b']|['a', 'b']")
        #expect(try render("{{ d.get('a') }} {{ d.get('z', 0) }} {{ d.keys()|list }}", ["d": ["a": 1]]) == "1 0 ['a']")
    }

    @Test func strftimeNowReadsTheGivenDate() throws {
        #expect(try render("{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%dT%H:%M:%S %A %-d') }}")
                == "09 Mar 2025 2025-03-09T14:05:00 Sunday 9")
    }

    @Test func raiseExceptionCarriesTheMessageAndLine() throws {
        #expect(throws: ChatTemplateError.raised(message: "roles must alternate", line: 2)) {
            try render("ok\n{{ raise_exception('roles must alternate') }}")
        }
        let error = ChatTemplateError.raised(message: "roles must alternate", line: 2)
        #expect(error.description == "chat template refused the conversation: roles must alternate (line 2)")
    }

    @Test func renderErrorsNameTheProblemAndLine() throws {
        #expect(throws: ChatTemplateError.render("'message' is undefined", line: 1)) {
            try render("{{ message.content }}")
        }
        #expect(throws: ChatTemplateError.render("'m.content' is undefined", line: 1)) {
            try render("{{ m.content.strip() }}", ["m": ["role": "user"]])
        }
        #expect(throws: ChatTemplateError.render("can only concatenate str (not \"int\") to str", line: 3)) {
            try render("\n\n{{ 'a' + 1 }}")
        }
    }

    @Test func chatMessagesReachTheTemplateAsDicts() throws {
        let template = try ChatTemplate(source: """
            {{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m['content'] }}{{ eos_token }}{% endfor %}
            {%- if add_generation_prompt %}assistant:{% endif %}{{ tools is none }}{{ documents is none }}{{ extra }}
            """)
        let text = try template.render(messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true,
                                       bosToken: "<s>", eosToken: "</s>", extra: ["extra": "!"])
        #expect(text == "<s>user: hi</s>assistant:TrueTrue!")
    }
}

/// Constructs outside the subset are refused by name, with their line, never rendered wrongly.
@Suite struct RefusalTests {
    @Test(arguments: [
        ("{{ x|title }}", "filter 'title'", 1),
        ("\n{{ 3 is divisibleby 3 }}", "test 'divisibleby'", 2),
        ("{% macro f() %}{% endmacro %}", "statement 'macro'", 1),
        ("{% include 'other.jinja' %}", "statement 'include'", 1),
        ("{% raw %}{{ x }}{% endraw %}", "statement 'raw'", 1),
        ("{% for x in xs %}{% break %}{% endfor %}", "statement 'break'", 1),
        ("{% filter upper %}x{% endfilter %}", "statement 'filter'", 1),
        ("{{ range(3) }}", "function 'range'", 1),
        ("{{ 'a'.title() }}", "method 'title()'", 1),
        ("{% for x in xs %}{{ loop.cycle('a', 'b') }}{% endfor %}", "loop attribute 'cycle'", 1),
        ("{% set x %}block{% endset %}", "block set ('set' without '=')", 1),
        ("{% for x in xs recursive %}{% endfor %}", "recursive for loop", 1),
        ("{{ f(1) }}", "function 'f'", 1),
        ("{{ raise_exception(*args) }}", "*args or **kwargs in a call", 1),
        ("{{ 0x1F }}", "number literal with prefix 0x", 1),
    ])
    func refusedWhenParsed(_ source: String, _ construct: String, _ line: Int) {
        #expect(throws: ChatTemplateError.unsupported(construct: construct, line: line)) { try ChatTemplate(source: source) }
    }

    @Test(arguments: [
        ("{{ strftime_now('%Z') }}", "strftime directive '%Z'"),
        ("{{ d.items }}", "dict method 'items' used as a value"),
        ("{{ d.keys() }}", "printing the result of .keys() directly (add |list)"),
        ("{{ '%s' % 'a' }}", "string formatting with '%'"),
        ("{{ {1: 'a'} }}", "dict literal with a key that is not a string"),
    ])
    func refusedWhenRendered(_ source: String, _ construct: String) throws {
        let template = try ChatTemplate(source: source)
        #expect(throws: ChatTemplateError.unsupported(construct: construct, line: 1)) {
            try template.render(variables: ["d": ["a": 1]])
        }
    }

    @Test func theMessageNamesTheConstructAndLine() {
        let error = ChatTemplateError.unsupported(construct: "filter 'xyz'", line: 3)
        #expect(error.description == "chat template uses unsupported filter 'xyz' (line 3)")
    }

    @Test(arguments: [
        ("{% if true %}never closed", "'if' is never closed: expected 'elif' or 'else' or 'endif'", 1),
        ("a\n{% endfor %}", "unexpected 'endfor'", 2),
        ("{{ 'unclosed", "unterminated string literal", 1),
        ("{# no end", "missing end of comment tag", 1),
        ("{{ x ", "unexpected end of template: '}}' missing", 1),
        ("{{ (1 }}", "unexpected '}', expected ')'", 1),
        ("{{ 1 + }}", "unexpected end of expression", 1),
    ])
    func syntaxErrors(_ source: String, _ message: String, _ line: Int) {
        #expect(throws: ChatTemplateError.syntax(message, line: line)) { try ChatTemplate(source: source) }
    }
}
