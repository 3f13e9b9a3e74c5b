-- Pandoc filter of the Typst route (PDF_for_Gradescope): one function per kind of
-- element. The LaTeX route breaks pages in its own template.
--
-- * pandas' HTML tables (raw HTML blocks) become real tables;
-- * a Div of class "pagebreak" becomes a page break;
-- * a Div of class "keep" (a question's code and its figure) is not split across
--   pages;
-- * the notebook's first heading becomes the title, and its "**Student:** ..." line
--   the author.

local function typst(text)
  return pandoc.RawBlock("typst", text)
end

function RawBlock(el)
  if el.format == "html" and el.text:find("<table", 1, true) then
    return pandoc.read(el.text, "html").blocks
  end
end

function Div(el)
  if el.classes:includes("pagebreak") then
    return typst("#pagebreak(weak: true)")
  end
  if el.classes:includes("keep") then
    local blocks = pandoc.Blocks({typst("#block(breakable: false)[")})
    blocks:extend(el.content)
    blocks:insert(typst("]"))
    return blocks
  end
end

local function student_name(block)
  if block.t ~= "Para" or block.content[1] == nil or block.content[1].t ~= "Strong" then
    return nil
  end
  if pandoc.utils.stringify(block.content[1]) ~= "Student:" then
    return nil
  end
  local rest = pandoc.Inlines({table.unpack(block.content, 2)})
  return pandoc.utils.stringify(rest):match("^%s*(.-)%s*$")
end

function Pandoc(doc)
  local first = doc.blocks[1]
  if first and first.t == "Header" and first.level == 1 and not doc.meta.title then
    doc.meta.title = first.content
    doc.blocks:remove(1)
  end
  for i, block in ipairs(doc.blocks) do
    local name = student_name(block)
    if name then
      doc.meta.author = pandoc.MetaList({pandoc.MetaInlines({pandoc.Str(name)})})
      doc.blocks:remove(i)
      break
    end
  end
  return doc
end
