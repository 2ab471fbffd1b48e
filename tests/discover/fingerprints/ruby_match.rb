# Differential oracle for Rempart's Recog reader: runs Recog's patterns with real Ruby.
# Reads JSON [{"p": pattern, "f": "REG_ICASE,...", "t": [texts]}] on stdin and writes, per
# case, {"r": [captures or null or "timeout" per text]} or {"error": message}.
# Flags are mapped as lib/recog/fingerprint/regexp_factory.rb maps them.
require 'json'
require 'timeout'

FLAG_MAP = {
  'REG_DOT_NEWLINE' => Regexp::MULTILINE,
  'REG_LINE_ANY_CRLF' => Regexp::MULTILINE,
  'REG_MULTILINE' => Regexp::MULTILINE,
  'REG_ICASE' => Regexp::IGNORECASE
}.freeze

$stderr.reopen(File::NULL) # Ruby warns about some patterns (duplicated ranges...)
results = JSON.parse($stdin.read).map do |c|
  options = c['f'].to_s.split(',').reduce(0) { |sum, flag| sum | FLAG_MAP.fetch(flag) }
  begin
    regex = Regexp.new(c['p'], options)
  rescue RegexpError => e
    next { 'error' => e.message }
  end
  matches = c['t'].map do |text|
    m = Timeout.timeout(0.5) { regex.match(text) }
    m.nil? ? nil : m.captures
  rescue Timeout::Error
    'timeout'
  end
  { 'r' => matches }
end
puts JSON.generate(results)
