% Driver: the question's reference call, written to reference_run.json with every digit
% (%.17g round-trips a double exactly). Run by run.sh.
[theta, J_history] = gradientDescent([1 5; 1 2; 1 4; 1 5],[1 6 4 2]',[0 0]',0.01,1000);

% Octave's '*' scales when one operand is a scalar: the port's '@' must become '*' there.
scaled = (0.01/4)*[1 5; 1 2; 1 4; 1 5]';
% what Octave displays for that line, without the blank lines
shown = strsplit(evalc("scaled = (0.01/4)*[1 5; 1 2; 1 4; 1 5]'"), "\n");
shown = shown(!cellfun(@isempty, strtrim(shown)));

out = getenv("REFERENCE_JSON");
if isempty(out)
  out = "reference_run.json";
end
fid = fopen(out, "w");
fprintf(fid, "{\n");
fprintf(fid, "  \"call\": \"gradientDescent([1 5; 1 2; 1 4; 1 5],[1 6 4 2]',[0 0]',0.01,1000)\",\n");
fprintf(fid, "  \"octave_version\": \"%s\",\n", OCTAVE_VERSION);
fprintf(fid, "  \"theta\": [%.17g, %.17g],\n", theta(1), theta(2));
fprintf(fid, "  \"theta_disp\": \"%s\",\n", strtrim(evalc("disp(theta')")));
fprintf(fid, "  \"scalar_times_matrix_shape\": [%d, %d],\n", rows(scaled), columns(scaled));
fprintf(fid, "  \"scalar_times_matrix_disp\": [\n");
fprintf(fid, "    \"%s\",\n", shown{1:end-1});
fprintf(fid, "    \"%s\"\n  ],\n", shown{end});
fprintf(fid, "  \"J_history\": [\n");
fprintf(fid, "    %.17g,\n", J_history(1:end-1));
fprintf(fid, "    %.17g\n", J_history(end));
fprintf(fid, "  ]\n}\n");
fclose(fid);
