// Finds process spawning that could involve a shell, with the TypeScript compiler's own parser and type
// checker: imports of exec/execSync (they always run a shell), a `shell` option that is not literally
// false, and spawn/execFile/fork arguments that are not an array (one string is what a shell would split).
// Follows aliases such as `const run = promisify(execFile)` and namespace imports (`cp.spawn`).
import ts from 'typescript';

export interface Finding {
  file: string;
  line: number;
  problem: string;
}

const SHELL_ALWAYS = new Set(['exec', 'execSync']);
const SPAWNERS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);
const MODULES = new Set(['child_process', 'node:child_process']);

export function scanSpawns(files: string[]): Finding[] {
  const program = ts.createProgram(files, {
    allowJs: true,
    checkJs: false,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const findings: Finding[] = [];

  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) continue;
    const at = (node: ts.Node, problem: string): void => {
      findings.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, problem });
    };
    /** Local name -> child_process export it stands for. */
    const names = new Map<string, string>();
    const namespaces = new Set<string>();

    const visitImports = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && MODULES.has(node.moduleSpecifier.text)) {
        const bindings = node.importClause?.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
        if (bindings && ts.isNamedImports(bindings)) {
          for (const el of bindings.elements) {
            const exported = (el.propertyName ?? el.name).text;
            if (SHELL_ALWAYS.has(exported)) at(el, `imports ${exported} from child_process: it always runs a shell`);
            names.set(el.name.text, exported);
          }
        }
        if (node.importClause?.name) namespaces.add(node.importClause.name.text);
      }
      ts.forEachChild(node, visitImports);
    };
    visitImports(source);

    const exportOf = (callee: ts.Expression): string | undefined => {
      if (ts.isIdentifier(callee)) return names.get(callee.text);
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && namespaces.has(callee.expression.text)) return callee.name.text;
      return undefined;
    };

    const visit = (node: ts.Node): void => {
      // const run = promisify(execFile): run is execFile too.
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isCallExpression(node.initializer)) {
        const inner = node.initializer;
        const first = inner.arguments[0];
        if (ts.isIdentifier(inner.expression) && inner.expression.text === 'promisify' && first) {
          const wrapped = exportOf(first);
          if (wrapped) names.set(node.name.text, wrapped);
        }
      }
      if (ts.isCallExpression(node)) {
        const name = exportOf(node.expression);
        if (name && SHELL_ALWAYS.has(name)) at(node, `calls ${name}: it always runs a shell`);
        if (name && SPAWNERS.has(name)) {
          const [, args, ...rest] = node.arguments;
          if (args) {
            const type = checker.getTypeAtLocation(args);
            const isOptions = ts.isObjectLiteralExpression(args);
            if (!isOptions && !checker.isArrayType(type) && !checker.isTupleType(type) && !(type.flags & ts.TypeFlags.Any)) {
              at(args, `${name}: arguments must be an array, not ${checker.typeToString(type)}`);
            }
          }
          for (const options of [args, ...rest]) {
            if (!options || ts.isArrayLiteralExpression(options) || ts.isFunctionLike(options)) continue;
            if (ts.isObjectLiteralExpression(options)) {
              for (const prop of options.properties) {
                if (!prop.name || prop.name.getText(source) !== 'shell') continue;
                const value = ts.isPropertyAssignment(prop) ? prop.initializer : undefined;
                if (!value || value.kind !== ts.SyntaxKind.FalseKeyword) at(prop, `${name}: shell option ${value?.getText(source) ?? '(shorthand)'}`);
              }
              continue;
            }
            const shell = checker.getTypeAtLocation(options).getProperty('shell');
            if (shell) {
              const shellType = checker.typeToString(checker.getTypeOfSymbol(shell));
              if (!/^(false|undefined|false \| undefined|undefined \| false)$/.test(shellType)) at(options, `${name}: options may carry shell (${shellType})`);
            }
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return findings;
}
