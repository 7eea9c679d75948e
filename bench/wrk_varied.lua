-- A varied search: every request picks one of 144 filtered full-text searches (12 texts, 4 forms, 3 minimum
-- finenesses) at random, with a fixed seed. Arguments after `--`: the path before the query and what to add
-- after it, e.g. `-- /api/v1/listings/ '&page_size=20'`. Reports p95 like wrk_p95.lua.
dofile("bench/wrk_p95.lua")

local texts = { "mercurio", "oro", "sin mercurio", "mercury-free", "doré", "dore", "ecológico", "ecologico",
                "oro aluvial", "gold", "fairmined", "Madre de Dios" }
local forms = { "dore", "nugget", "flake_dust", "gravity_concentrate" }
local finenesses = { "850", "900", "950" }
local paths = {}
local threads = 0

setup = function(thread)  -- each thread its own sequence, the same from run to run
  threads = threads + 1
  thread:set("seed", 2026 + threads)
end

local function encode(text)
  return (text:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

init = function(args)
  local prefix, suffix = args[1] or "/api/v1/listings/", args[2] or ""
  for _, text in ipairs(texts) do
    for _, form in ipairs(forms) do
      for _, fineness in ipairs(finenesses) do
        paths[#paths + 1] = prefix .. "?q=" .. encode(text) .. "&fineness_min=" .. fineness .. "&form=" .. form .. suffix
      end
    end
  end
  math.randomseed(seed)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
