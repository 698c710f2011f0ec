function J = computeCost(X, y, theta)
  % The least-squares cost that gradientDescent calls. The question does not show it; this is
  % the usual definition, J = sum((X*theta - y).^2) / (2*m).
  m = length(y);
  J = sum((X*theta - y).^2) / (2*m);
end
