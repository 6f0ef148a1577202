Gem::Specification.new do |s|
  s.name = "activesupport".freeze
  s.version = "7.1.2".freeze
  s.add_runtime_dependency "concurrent-ruby", "~> 1.0"
end
