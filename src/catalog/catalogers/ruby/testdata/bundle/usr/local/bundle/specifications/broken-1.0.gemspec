Gem::Specification.new do |s|
  s.name = compute_name()
end
