//! The load-time rewrite that routes every `memory.grow` through the host.
//!
//! Each `memory.grow` instruction becomes `call $grow`, where `$grow` is a new
//! function import `capheap_sim.memory_grow: (i32) -> i32` (same stack effect
//! as `memory.grow`). The host function prices the growth, charges fuel and
//! enforces the caps before it grows memory (see `host.rs`). Because the
//! import is appended after the module's own function imports, every defined
//! function's index shifts by one; `Rewriter::function_index` remaps calls,
//! exports, element segments, `ref.func` and the start function. Custom
//! sections (names, producers, debug info) are dropped: they never affect
//! execution, and the module's code hash is taken over the original bytes.
//!
//! The rewrite also exports memory 0 and every mutable defined global under
//! reserved names, so the host can reach memory before the module's own
//! exports are known and snapshots can save and restore globals the module
//! does not export.
//!
//! Modules that import from the reserved module or export reserved names are
//! rejected, so a contract can neither call nor shadow the growth hook.

use std::convert::Infallible;

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{EntityType, ExportKind, Instruction, SectionId, ValType as EncValType};
use wasmparser::{ExternalKind, FuncType, Operator, Parser, Payload, TypeRef, ValType};

use crate::error::{Result, SimError};

/// Module of the simulator's private imports; contracts may not import it.
pub const RESERVED_MODULE: &str = "capheap_sim";
/// Name of the growth hook in [`RESERVED_MODULE`].
pub const GROW_IMPORT: &str = "memory_grow";
/// Prefix of the simulator's private exports; contracts may not use it.
pub const RESERVED_PREFIX: &str = "__capheap_sim_";
/// The reserved export of memory 0.
pub(crate) const MEMORY_EXPORT: &str = "__capheap_sim_memory";

/// The reserved export of mutable global `index`.
pub(crate) fn global_export(index: u32) -> String {
    format!("{RESERVED_PREFIX}global_{index}")
}

/// An import of the original module.
#[derive(Clone, Debug)]
pub(crate) struct ImportInfo {
    pub module: String,
    pub name: String,
    /// The function type, for function imports.
    pub func: Option<FuncType>,
    /// `func`, `memory`, `global`, `table` or `tag`.
    pub kind: &'static str,
}

/// An export of the original module.
#[derive(Clone, Debug)]
pub(crate) struct ExportInfo {
    pub name: String,
    pub kind: ExternalKind,
    pub index: u32,
}

/// Memory 0 of the original module.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemoryInfo {
    pub initial: u64,
    pub maximum: Option<u64>,
    pub memory64: bool,
    pub shared: bool,
    pub imported: bool,
}

/// What the simulator needs to know about a module before rewriting it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModuleInfo {
    pub types: Vec<Option<FuncType>>,
    pub imports: Vec<ImportInfo>,
    pub exports: Vec<ExportInfo>,
    /// Types of all functions, imported first.
    pub func_types: Vec<u32>,
    pub func_imports: u32,
    pub memories: Vec<MemoryInfo>,
    /// `(initial, maximum)` elements of every table, imported first.
    pub tables: Vec<(u64, Option<u64>)>,
    pub global_imports: u32,
    /// `(index, type)` of every mutable defined global.
    pub mutable_globals: Vec<(u32, ValType)>,
    pub start: Option<u32>,
    pub grow_sites: u32,
}

impl ModuleInfo {
    /// The signature of function `index`.
    pub fn func_type(&self, index: u32) -> Option<&FuncType> {
        let ty = *self.func_types.get(index as usize)?;
        self.types.get(ty as usize)?.as_ref()
    }
}

/// Parses the module-level facts of `wasm` (and counts `memory.grow` sites).
pub(crate) fn scan(wasm: &[u8]) -> std::result::Result<ModuleInfo, String> {
    let mut info = ModuleInfo::default();
    let mut globals: u32 = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(r) => {
                for group in r {
                    let group = group.map_err(|e| e.to_string())?;
                    for sub in group.into_types() {
                        info.types.push(match sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => Some(f),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(r) => {
                for import in r {
                    let import = import.map_err(|e| e.to_string())?;
                    let (kind, func) = match import.ty {
                        TypeRef::Func(ty) => {
                            info.func_types.push(ty);
                            info.func_imports += 1;
                            ("func", info.types.get(ty as usize).cloned().flatten())
                        }
                        TypeRef::Memory(m) => {
                            info.memories.push(MemoryInfo {
                                initial: m.initial,
                                maximum: m.maximum,
                                memory64: m.memory64,
                                shared: m.shared,
                                imported: true,
                            });
                            ("memory", None)
                        }
                        TypeRef::Global(_) => {
                            info.global_imports += 1;
                            globals += 1;
                            ("global", None)
                        }
                        TypeRef::Table(t) => {
                            info.tables.push((t.initial, t.maximum));
                            ("table", None)
                        }
                        TypeRef::Tag(_) => ("tag", None),
                    };
                    info.imports.push(ImportInfo {
                        module: import.module.to_owned(),
                        name: import.name.to_owned(),
                        func,
                        kind,
                    });
                }
            }
            Payload::FunctionSection(r) => {
                for ty in r {
                    info.func_types.push(ty.map_err(|e| e.to_string())?);
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    let t = t.map_err(|e| e.to_string())?;
                    info.tables.push((t.ty.initial, t.ty.maximum));
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    let m = m.map_err(|e| e.to_string())?;
                    info.memories.push(MemoryInfo {
                        initial: m.initial,
                        maximum: m.maximum,
                        memory64: m.memory64,
                        shared: m.shared,
                        imported: false,
                    });
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(|e| e.to_string())?;
                    if g.ty.mutable {
                        info.mutable_globals.push((globals, g.ty.content_type));
                    }
                    globals += 1;
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(|e| e.to_string())?;
                    info.exports.push(ExportInfo {
                        name: e.name.to_owned(),
                        kind: e.kind,
                        index: e.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(func),
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
                while !ops.eof() {
                    if let Operator::MemoryGrow { .. } = ops.read().map_err(|e| e.to_string())? {
                        info.grow_sites += 1;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// Rejects reserved imports and exports.
pub(crate) fn check_reserved(info: &ModuleInfo) -> Result<()> {
    if let Some(import) = info.imports.iter().find(|i| i.module == RESERVED_MODULE) {
        return Err(SimError::ReservedImport {
            module: import.module.clone(),
            name: import.name.clone(),
        });
    }
    if let Some(export) = info
        .exports
        .iter()
        .find(|e| e.name.starts_with(RESERVED_PREFIX))
    {
        return Err(SimError::ReservedExport {
            name: export.name.clone(),
            prefix: RESERVED_PREFIX.to_owned(),
        });
    }
    Ok(())
}

/// Rewrites a module wasmi has already validated; see the module docs.
pub(crate) fn rewrite(wasm: &[u8], info: &ModuleInfo) -> Result<Vec<u8>> {
    let mut extra_exports = Vec::new();
    if !info.memories.is_empty() {
        extra_exports.push((MEMORY_EXPORT.to_owned(), ExportKind::Memory, 0));
    }
    for &(index, _) in &info.mutable_globals {
        extra_exports.push((global_export(index), ExportKind::Global, index));
    }
    let mut rewriter = Rewriter {
        func_imports: info.func_imports,
        grow_type: u32::try_from(info.types.len())
            .map_err(|_| SimError::Instrument("too many types".to_owned()))?,
        types_done: false,
        imports_done: false,
        exports_done: false,
        extra_exports,
    };
    let mut module = wasm_encoder::Module::new();
    rewriter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| SimError::Instrument(e.to_string()))?;
    Ok(module.finish())
}

struct Rewriter {
    func_imports: u32,
    grow_type: u32,
    types_done: bool,
    imports_done: bool,
    exports_done: bool,
    extra_exports: Vec<(String, ExportKind, u32)>,
}

impl Rewriter {
    /// Index of the growth hook: right after the module's function imports.
    fn grow_func(&self) -> u32 {
        self.func_imports
    }

    fn add_grow_type(&mut self, types: &mut wasm_encoder::TypeSection) {
        types.ty().function([EncValType::I32], [EncValType::I32]);
        self.types_done = true;
    }

    fn add_grow_import(&mut self, imports: &mut wasm_encoder::ImportSection) {
        imports.import(
            RESERVED_MODULE,
            GROW_IMPORT,
            EntityType::Function(self.grow_type),
        );
        self.imports_done = true;
    }

    fn add_exports(&mut self, exports: &mut wasm_encoder::ExportSection) {
        for (name, kind, index) in &self.extra_exports {
            exports.export(name, *kind, *index);
        }
        self.exports_done = true;
    }
}

/// Position of a section in the module's required section order.
fn rank(id: Option<SectionId>) -> u8 {
    match id {
        Some(SectionId::Type) => 1,
        Some(SectionId::Import) => 2,
        Some(SectionId::Function) => 3,
        Some(SectionId::Table) => 4,
        Some(SectionId::Memory) => 5,
        Some(SectionId::Tag) => 6,
        Some(SectionId::Global) => 7,
        Some(SectionId::Export) => 8,
        Some(SectionId::Start) => 9,
        Some(SectionId::Element) => 10,
        Some(SectionId::DataCount) => 11,
        Some(SectionId::Code) => 12,
        Some(SectionId::Data) => 13,
        Some(_) => 0,
        None => u8::MAX,
    }
}

impl Reencode for Rewriter {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> u32 {
        // Validated modules have at most 1 000 000 functions (wasmparser's
        // limit), so the shift cannot overflow.
        if func >= self.func_imports {
            func.saturating_add(1)
        } else {
            func
        }
    }

    fn instruction<'a>(
        &mut self,
        op: Operator<'a>,
    ) -> std::result::Result<Instruction<'a>, reencode::Error<Infallible>> {
        match op {
            Operator::MemoryGrow { mem: 0 } => Ok(Instruction::Call(self.grow_func())),
            op => reencode::utils::instruction(self, op),
        }
    }

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> std::result::Result<(), reencode::Error<Infallible>> {
        reencode::utils::parse_type_section(self, types, section)?;
        self.add_grow_type(types);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> std::result::Result<(), reencode::Error<Infallible>> {
        reencode::utils::parse_import_section(self, imports, section)?;
        self.add_grow_import(imports);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> std::result::Result<(), reencode::Error<Infallible>> {
        reencode::utils::parse_export_section(self, exports, section)?;
        self.add_exports(exports);
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        _module: &mut wasm_encoder::Module,
        _section: wasmparser::CustomSectionReader<'_>,
    ) -> std::result::Result<(), reencode::Error<Infallible>> {
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> std::result::Result<(), reencode::Error<Infallible>> {
        let next = rank(before);
        if !self.types_done && next > rank(Some(SectionId::Type)) {
            let mut types = wasm_encoder::TypeSection::new();
            self.add_grow_type(&mut types);
            module.section(&types);
        }
        if !self.imports_done && next > rank(Some(SectionId::Import)) {
            let mut imports = wasm_encoder::ImportSection::new();
            self.add_grow_import(&mut imports);
            module.section(&imports);
        }
        if !self.exports_done
            && !self.extra_exports.is_empty()
            && next > rank(Some(SectionId::Export))
        {
            let mut exports = wasm_encoder::ExportSection::new();
            self.add_exports(&mut exports);
            module.section(&exports);
        }
        Ok(())
    }
}
