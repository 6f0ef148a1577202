Gem::Specification.new do |s|
  s.name = "net-protocol".freeze
  s.version = "0.2.2".freeze
  s.add_runtime_dependency(%q<timeout>.freeze, [">= 0"])
end
