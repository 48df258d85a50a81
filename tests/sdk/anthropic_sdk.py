"""The official anthropic SDK, configured only by the environment (ANTHROPIC_BASE_URL,
ANTHROPIC_API_KEY): a tool call and its answer, unstreamed then streamed. argv[1]: where to save
/proc/self/environ."""
import sys

import anthropic

open(sys.argv[1], "wb").write(open("/proc/self/environ", "rb").read())
client = anthropic.Anthropic()
MODEL = "claude-haiku-4-5"
tools = [{"name": "get_weather", "description": "The weather in a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
for stream in (False, True):
    label = "stream" if stream else "plain"
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    for turn in range(2):
        if not stream:
            r = client.messages.create(model=MODEL, max_tokens=200, messages=messages, tools=tools)
        else:
            with client.messages.stream(model=MODEL, max_tokens=200, messages=messages, tools=tools) as s:
                for _ in s.text_stream:
                    pass
                r = s.get_final_message()
        uses = [b for b in r.content if b.type == "tool_use"]
        if uses:
            import json
            print(label, "call", uses[0].name, json.dumps(uses[0].input, separators=(",", ":")))
            messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in r.content]})
            messages.append({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": uses[0].id, "content": "sunny"}]})
        else:
            print(label, "text", "".join(b.text for b in r.content if b.type == "text"))
