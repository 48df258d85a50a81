"""The official openai SDK, configured only by the environment (OPENAI_BASE_URL, OPENAI_API_KEY):
a tool call and its answer, unstreamed then streamed. argv[1]: where to save /proc/self/environ."""
import sys

from openai import OpenAI

open(sys.argv[1], "wb").write(open("/proc/self/environ", "rb").read())
client = OpenAI()
MODEL = "gpt-4o-mini"
tools = [{"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
for stream in (False, True):
    label = "stream" if stream else "plain"
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    for turn in range(2):
        if not stream:
            r = client.chat.completions.create(model=MODEL, messages=messages, tools=tools)
            msg = r.choices[0].message
            text, calls = msg.content or "", [(c.id, c.function.name, c.function.arguments) for c in msg.tool_calls or []]
        else:
            text, parts = "", {}
            for chunk in client.chat.completions.create(model=MODEL, messages=messages, tools=tools,
                                                        stream=True, stream_options={"include_usage": True}):
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                    for tc in choice.delta.tool_calls or []:
                        p = parts.setdefault(tc.index, ["", "", ""])
                        p[0] = tc.id or p[0]
                        p[1] += (tc.function.name or "") if tc.function else ""
                        p[2] += (tc.function.arguments or "") if tc.function else ""
            calls = [tuple(parts[i]) for i in sorted(parts)]
        if calls:
            cid, name, args = calls[0]
            print(label, "call", name, args)
            messages.append({"role": "assistant", "content": "", "tool_calls": [
                {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}]})
            messages.append({"role": "tool", "tool_call_id": cid, "content": "sunny"})
        else:
            print(label, "text", text)
