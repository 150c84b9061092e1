#!/usr/bin/env python3
"""Writes testdata/chat/expected.json: reference renderings of the chat templates in templates/.

The reference is Python jinja2 (3.1.x), set up exactly as Hugging Face transformers'
apply_chat_template does it (transformers/utils/chat_template_utils.py, _compile_jinja_template):
an ImmutableSandboxedEnvironment with trim_blocks=True, lstrip_blocks=True and the loopcontrols
extension, a `tojson` filter that is json.dumps(ensure_ascii=False, indent, separators, sort_keys)
instead of Jinja's HTML-escaping one, and the globals raise_exception (raises TemplateError) and
strftime_now. apply_chat_template passes messages, tools, documents, add_generation_prompt, the
tokenizer's special tokens (bos_token, eos_token) and any extra keyword arguments.

One deliberate difference: strftime_now reads a fixed clock (FIXED_NOW) so the output is
reproducible; the Java test gives ChatTemplate the same fixed clock.

The conversations are written in the normalised dict shape jllm's ChatTemplate builds from
ChatMessage records: every message has role and content (a string, "" when absent), and
tool_calls / tool_call_id / name appear only when set. The Java test reads the conversations from
expected.json, so both sides render the same input.

Run from the repository root:  python3 testdata/chat/generate_expected.py
"""
import json
import os
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_NOW = datetime(2025, 3, 7, 14, 5, 9)


class _GenerationTag(jinja2.ext.Extension):
    """transformers' AssistantTracker: {% generation %}...{% endgeneration %} renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def compile_template(source):
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[_GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


# name -> (file, bos_token, eos_token); tokens as in each model's tokenizer_config.json
TEMPLATES = {
    "chatml": ("chatml.jinja", "<s>", "<|im_end|>"),
    "llama-3.1": ("llama-3.1.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.2": ("llama-3.2.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    "qwen2.5": ("qwen2.5.jinja", None, "<|im_end|>"),
    "qwen3": ("qwen3.jinja", None, "<|im_end|>"),
    "mistral-v3": ("mistral-v3.jinja", "<s>", "</s>"),
    "mistral-nemo": ("mistral-nemo.jinja", "<s>", "</s>"),
    "gemma-2": ("gemma-2.jinja", "<bos>", "<eos>"),
    "gemma-3": ("gemma-3.jinja", "<bos>", "<eos>"),
    "phi-3": ("phi-3.jinja", "<s>", "<|endoftext|>"),
    "phi-3.5": ("phi-3.5.jinja", "<s>", "<|endoftext|>"),
}


def msg(role, content="", **extra):
    m = {"role": role, "content": content}
    m.update(extra)
    return m


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city"],
        },
    },
}

TOOL_CALL = {
    "id": "call0A1b2",  # nine alphanumerics: Mistral's templates insist on that
    "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Zürich", "unit": "celsius", "days": 2, "threshold": 0.5}},
}

CONVERSATIONS = {
    "chat": [
        msg("system", "You are a helpful assistant."),
        msg("user", "Hello"),
        msg("assistant", "Hi there! How can I help?"),
        msg("user", "Who are you?"),
    ],
    "no-system": [
        msg("user", "  Grüße aus Zürich, 你好 🙂  "),
        msg("assistant", "  Hallo!  \n"),
        msg("user", "Tell me a \"joke\" about <tags> & {braces}."),
    ],
    "single": [
        msg("user", "Hi"),
    ],
    "tools": [
        msg("system", "You can look up the weather."),
        msg("user", "What's the weather in Zürich?"),
        msg("assistant", "", tool_calls=[TOOL_CALL]),
        msg("tool", "{\"temperature\": 18, \"condition\": \"sunny\"}", tool_call_id="call0A1b2", name="get_weather"),
    ],
    "thinking": [
        msg("user", "What is 2+2?"),
        msg("assistant", "<think>\nSimple arithmetic.\n</think>\n\n2+2 = 4."),
        msg("user", "And 3+3?"),
    ],
    "not-alternating": [
        msg("user", "One"),
        msg("user", "Two"),
    ],
}

# (case name, conversation, add_generation_prompt, with tools, extra context)
CASES = [
    ("chat+gen", "chat", True, False, {}),
    ("chat", "chat", False, False, {}),
    ("no-system+gen", "no-system", True, False, {}),
    ("single+gen", "single", True, False, {}),
    ("tools+gen", "tools", True, True, {}),
    ("tools-list-only+gen", "chat", True, True, {}),
    ("thinking+gen", "thinking", True, False, {}),
    ("thinking-off+gen", "thinking", True, False, {"enable_thinking": False}),
    ("date+gen", "single", True, False, {"date_string": "01 Jan 2030"}),
    ("not-alternating+gen", "not-alternating", True, False, {}),
]


def main():
    out = {
        "comment": "Generated by generate_expected.py with Python jinja2 %s set up as HF transformers "
                   "apply_chat_template; strftime_now reads %s." % (jinja2.__version__, FIXED_NOW.isoformat()),
        "fixed_now": FIXED_NOW.isoformat(),
        "tools": [WEATHER_TOOL],
        "conversations": CONVERSATIONS,
        "templates": {},
    }
    for name, (file, bos, eos) in TEMPLATES.items():
        with open(os.path.join(HERE, "templates", file), encoding="utf-8") as f:
            source = f.read()
        template = compile_template(source)
        supports_tools = "tools" in source
        results = []
        for case, conversation, add_gen, with_tools, extra in CASES:
            if with_tools and not supports_tools:
                continue
            kwargs = {"bos_token": bos, "eos_token": eos} if bos is not None else {"eos_token": eos}
            kwargs.update(extra)
            entry = {"case": case, "conversation": conversation, "add_generation_prompt": add_gen,
                     "tools": with_tools, "extra": extra}
            try:
                entry["output"] = template.render(
                    messages=json.loads(json.dumps(CONVERSATIONS[conversation])),
                    tools=[WEATHER_TOOL] if with_tools else None,
                    documents=None,
                    add_generation_prompt=add_gen,
                    **kwargs)
            except TemplateError as e:
                entry["error"] = e.message
            results.append(entry)
        out["templates"][name] = {"file": file, "bos_token": bos, "eos_token": eos, "cases": results}
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
