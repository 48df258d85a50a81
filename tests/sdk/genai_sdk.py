"""The official google-genai SDK, configured only by the environment (GOOGLE_GEMINI_BASE_URL,
GOOGLE_API_KEY / GEMINI_API_KEY): a function call and its answer, unstreamed then streamed.
argv[1]: where to save /proc/self/environ."""
import json
import sys

from google import genai
from google.genai import types

open(sys.argv[1], "wb").write(open("/proc/self/environ", "rb").read())
client = genai.Client()
MODEL = "gemini-2.5-flash"
config = types.GenerateContentConfig(
    tools=[types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="The weather in a city",
        parameters_json_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})])],
    automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
)
for stream in (False, True):
    label = "stream" if stream else "plain"
    contents = [types.Content(role="user", parts=[types.Part(text="Weather in Paris?")])]
    for turn in range(2):
        if not stream:
            r = client.models.generate_content(model=MODEL, contents=contents, config=config)
            parts = list(r.candidates[0].content.parts or [])
        else:
            parts = []
            for chunk in client.models.generate_content_stream(model=MODEL, contents=contents, config=config):
                if chunk.candidates and chunk.candidates[0].content:
                    parts += chunk.candidates[0].content.parts or []
        calls = [p.function_call for p in parts if p.function_call]
        if calls:
            print(label, "call", calls[0].name, json.dumps(calls[0].args, separators=(",", ":")))
            contents.append(types.Content(role="model", parts=parts))
            contents.append(types.Content(role="user", parts=[
                types.Part.from_function_response(name=calls[0].name, response={"result": "sunny"})]))
        else:
            print(label, "text", "".join(p.text or "" for p in parts))
