//! Page pricing and the growth meter: the single source of truth for what a
//! memory growth costs.
//!
//! [`PagePricing::price`] is pure, integer-only and deterministic; the host-side
//! simulator uses the same function to charge fuel, so contract-side budgets and
//! host-side charges can never disagree. [`GrowthMeter::grow`] is the one path
//! through which every allocator in this crate grows memory: it checks the
//! memory-pages cap, prices the growth, checks the growth budget and the
//! optional host gas hook, and only then grows. Any refusal leaves the memory,
//! the budget and the meter untouched.

use crate::backend::PageSource;
use crate::cap::{self, AllocError, CapKind};

/// A growth to be priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrowthRequest {
    /// Pages of linear memory before the growth ("open" pages in Stylus terms).
    pub current_pages: u32,
    /// Highest page count ever reached ("ever" in Stylus terms); at least
    /// `current_pages` for a wasm memory, which never shrinks.
    pub high_water_pages: u32,
    /// Pages to add.
    pub delta_pages: u32,
}

/// How a chain prices memory growth.
// `Custom`/gas-hook function pointers compare by address.
#[allow(unpredictable_function_pointer_comparisons)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagePricing {
    /// Growth is free.
    Free,
    /// `per_page * delta_pages`.
    Flat {
        /// Price of one page.
        per_page: u64,
    },
    /// EVM memory expansion: cost(words) = word_gas*words + words^2 / quad_divisor; charge cost(new) - cost(old); 1 page = 2048 words of 32 bytes.
    ///
    /// `old` is `max(current_pages, high_water_pages)` (EVM memory never
    /// shrinks, so expansion is only charged above the high-water mark) and
    /// `new` is `max(old, current_pages + delta_pages)`.
    EvmQuadratic {
        /// Linear gas per 32-byte word (EVM: 3).
        word_gas: u64,
        /// Divisor of the quadratic term (EVM: 512).
        quad_divisor: u64,
    },
    /// Arbitrum Stylus: pages <= free_pages are free; linear page_gas per page opened beyond free pages; plus exponential ramp on the high-water mark via the Stylus MEMORY_EXPONENTS table: price = page_gas*(credit(open+new) - credit(open)) + exp(max(ever, open+new)) - exp(ever), credit(p)=p.saturating_sub(free_pages), and 0 if max(ever,open+new) <= free_pages. Beyond the table (128 pages) growth is unpriceable.
    ///
    /// `open` = `current_pages`, `ever` = `high_water_pages`, `new` = `delta_pages`.
    Stylus {
        /// Pages every transaction gets for free (Arbitrum: 2).
        free_pages: u32,
        /// Linear gas per page beyond the free pages (Arbitrum: 1000).
        page_gas: u64,
    },
    /// NEAR-style: a base per grow operation plus per page.
    Near {
        /// Charged once per growth.
        base: u64,
        /// Charged per page.
        per_page: u64,
    },
    /// Any other model. Must be pure and deterministic, and must not allocate
    /// from the heap it prices (the heap reports [`AllocError::Reentrant`]).
    Custom(fn(GrowthRequest) -> Option<u64>),
}

/// Arbitrum Stylus `MEMORY_EXPONENTS`: `exp(pages)` for 0..=128 pages, i.e.
/// `floor(31_874_000^(pages/128))`.
///
/// Source: OffchainLabs/nitro, `arbitrator/prover/src/programs/memory.rs`
/// (`MemoryModel::exp`) and its Go twin `arbos/programs/memory.go`
/// (`memoryExponents`); both embed this exact table.
pub const STYLUS_MEMORY_EXPONENTS: [u32; 129] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 22, 25, 29, 33, 38,
    43, 50, 57, 65, 75, 85, 98, 112, 128, 147, 168, 193, 221, 253, 289, 331, 379, 434, 497, 569,
    651, 745, 853, 976, 1117, 1279, 1463, 1675, 1917, 2194, 2511, 2874, 3290, 3765, 4309, 4932,
    5645, 6461, 7395, 8464, 9687, 11087, 12689, 14523, 16621, 19024, 21773, 24919, 28521, 32642,
    37359, 42758, 48938, 56010, 64104, 73368, 83971, 96106, 109994, 125890, 144082, 164904, 188735,
    216010, 247226, 282953, 323844, 370643, 424206, 485509, 555672, 635973, 727880, 833067, 953456,
    1091243, 1248941, 1429429, 1636000, 1872423, 2143012, 2452704, 2807151, 3212820, 3677113,
    4208502, 4816684, 5512756, 6309419, 7221210, 8264766, 9459129, 10826093, 12390601, 14181199,
    16230562, 18576084, 21260563, 24332984, 27849408, 31873999,
];

/// EVM words (32 bytes) per 64 KiB page.
pub const EVM_WORDS_PER_PAGE: u64 = 2048;

/// `a * b` without the 128-bit multiply libcall `checked_mul` pulls in on wasm32.
#[inline]
fn mul(a: u64, b: u64) -> Option<u64> {
    if b != 0 && a > u64::MAX / b {
        None
    } else {
        Some(a * b)
    }
}

impl PagePricing {
    /// Growth is free.
    pub const FREE: Self = Self::Free;
    /// Ethereum memory expansion (yellow paper `C_mem`: G_memory = 3, divisor 512).
    pub const EVM: Self = Self::EvmQuadratic {
        word_gas: 3,
        quad_divisor: 512,
    };
    /// Arbitrum Stylus defaults (`free_pages` 2, `page_gas` 1000, as in nitro's
    /// `MemoryModel::new(2, 1000)` and ArbOS's initial `FreePages`/`PageGas`).
    pub const STYLUS: Self = Self::Stylus {
        free_pages: 2,
        page_gas: 1000,
    };
    /// NEAR-style. Illustrative values derived from nearcore's
    /// `core/parameters/res/runtime_configs/parameters.yaml`
    /// (`wasm_regular_op_cost: 822_756`, `wasm_grow_mem_cost: 1`), read as "a
    /// `memory.grow` costs one regular op plus `grow_mem_cost` regular ops per
    /// page". NEAR's real accounting depends on the protocol version and its
    /// wasm instrumentation; calibrate before relying on these numbers.
    pub const NEAR: Self = Self::Near {
        base: 822_756,
        per_page: 822_756,
    };

    /// Price of a growth. `None` = the price overflows `u64` or the growth is
    /// unpriceable (treat as unaffordable). Pure, integer-only, deterministic.
    /// A growth of 0 pages is free under every preset.
    ///
    /// ```
    /// use capheap::{GrowthRequest, PagePricing};
    ///
    /// let grow = |current, high_water, delta| GrowthRequest {
    ///     current_pages: current,
    ///     high_water_pages: high_water,
    ///     delta_pages: delta,
    /// };
    /// assert_eq!(PagePricing::Flat { per_page: 5 }.price(grow(10, 10, 3)), Some(15));
    /// // Stylus: the first 2 pages are free; then 1,000 gas a page plus the
    /// // exponential ramp on the high-water mark (flat up to 6 pages).
    /// assert_eq!(PagePricing::STYLUS.price(grow(0, 0, 2)), Some(0));
    /// assert_eq!(PagePricing::STYLUS.price(grow(2, 2, 1)), Some(1_000));
    /// assert_eq!(PagePricing::STYLUS.price(grow(40, 40, 1)), Some(1_000 + (253 - 221)));
    /// // Beyond Stylus's 128-page table a growth cannot be priced.
    /// assert_eq!(PagePricing::STYLUS.price(grow(128, 128, 1)), None);
    /// // EVM memory never shrinks: below the high-water mark growth is free.
    /// assert_eq!(PagePricing::EVM.price(grow(1, 4, 2)), Some(0));
    /// ```
    pub fn price(&self, req: GrowthRequest) -> Option<u64> {
        if req.delta_pages == 0 && !matches!(self, Self::Custom(_)) {
            return Some(0);
        }
        match *self {
            Self::Free => Some(0),
            Self::Flat { per_page } => mul(per_page, req.delta_pages as u64),
            Self::EvmQuadratic {
                word_gas,
                quad_divisor,
            } => {
                if quad_divisor == 0 {
                    return None;
                }
                let old = req.current_pages.max(req.high_water_pages) as u64;
                let new = (req.current_pages as u64 + req.delta_pages as u64).max(old);
                let cost = |pages: u64| -> Option<u64> {
                    let words = pages * EVM_WORDS_PER_PAGE;
                    mul(word_gas, words)?.checked_add(mul(words, words)? / quad_divisor)
                };
                cost(new)?.checked_sub(cost(old)?)
            }
            Self::Stylus {
                free_pages,
                page_gas,
            } => {
                let open = req.current_pages;
                let ever = req.high_water_pages;
                let new_open = open.checked_add(req.delta_pages)?;
                let new_ever = ever.max(new_open);
                if new_ever <= free_pages {
                    return Some(0);
                }
                let credit = |p: u32| p.saturating_sub(free_pages);
                let adding = credit(new_open).saturating_sub(credit(open)) as u64;
                let linear = mul(adding, page_gas)?;
                let exp = |p: u32| STYLUS_MEMORY_EXPONENTS.get(p as usize).map(|&x| x as u64);
                let expand = exp(new_ever)?.checked_sub(exp(ever)?)?;
                linear.checked_add(expand)
            }
            Self::Near { base, per_page } => {
                mul(per_page, req.delta_pages as u64)?.checked_add(base)
            }
            Self::Custom(f) => f(req),
        }
    }

    /// Whether pricing may run user code (a [`PagePricing::Custom`] function).
    ///
    /// ```
    /// use capheap::{GrowthRequest, PagePricing};
    ///
    /// fn doubled(req: GrowthRequest) -> Option<u64> {
    ///     Some(2 * req.delta_pages as u64)
    /// }
    /// assert!(PagePricing::Custom(doubled).runs_user_code());
    /// assert!(!PagePricing::STYLUS.runs_user_code());
    /// ```
    pub const fn runs_user_code(&self) -> bool {
        matches!(self, Self::Custom(_))
    }
}

/// The one text form of a pricing model, used by scenario files, the
/// simulator's command line and reports: `free`, `flat:<per_page>`,
/// `evm[:<word_gas>:<divisor>]`, `stylus[:<free_pages>:<page_gas>]`,
/// `near[:<base>:<per_page>]`. A preset prints as its bare name; a custom
/// function prints as `custom` (which does not parse back).
///
/// ```
/// use capheap::PagePricing;
///
/// assert_eq!(PagePricing::STYLUS.to_string(), "stylus");
/// assert_eq!(PagePricing::Flat { per_page: 1000 }.to_string(), "flat:1000");
/// let evm: PagePricing = "evm:3:512".parse().unwrap();
/// assert_eq!(evm, PagePricing::EVM);
/// assert_eq!(evm.to_string(), "evm");
/// assert!("flat".parse::<PagePricing>().is_err());
/// ```
impl core::fmt::Display for PagePricing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::Free => f.write_str("free"),
            Self::Flat { per_page } => write!(f, "flat:{per_page}"),
            p if p == Self::EVM => f.write_str("evm"),
            p if p == Self::STYLUS => f.write_str("stylus"),
            p if p == Self::NEAR => f.write_str("near"),
            Self::EvmQuadratic {
                word_gas,
                quad_divisor,
            } => write!(f, "evm:{word_gas}:{quad_divisor}"),
            Self::Stylus {
                free_pages,
                page_gas,
            } => write!(f, "stylus:{free_pages}:{page_gas}"),
            Self::Near { base, per_page } => write!(f, "near:{base}:{per_page}"),
            Self::Custom(_) => f.write_str("custom"),
        }
    }
}

/// Why a pricing spec did not parse (see [`PagePricing`]'s `FromStr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParsePricingError {
    /// Not one of the model names.
    UnknownModel,
    /// The wrong count of numbers for the model.
    Arity {
        /// The model named.
        model: &'static str,
        /// Numbers it takes (besides its preset form with none).
        expected: usize,
        /// Numbers given.
        got: usize,
    },
    /// A number that is not a whole number in range (`_` separators are
    /// allowed).
    NotANumber,
    /// `evm` with a divisor of 0.
    ZeroDivisor,
}

impl core::fmt::Display for ParsePricingError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::UnknownModel => f.write_str(
                "expected free, flat:<per_page>, evm[:<word_gas>:<divisor>], \
                 stylus[:<free_pages>:<page_gas>] or near[:<base>:<per_page>]",
            ),
            Self::Arity {
                model,
                expected,
                got,
            } => write!(f, "`{model}` takes {expected} numbers, got {got}"),
            Self::NotANumber => f.write_str("a value is not a whole number in range"),
            Self::ZeroDivisor => f.write_str("the evm divisor must not be 0"),
        }
    }
}

impl core::error::Error for ParsePricingError {}

impl core::str::FromStr for PagePricing {
    type Err = ParsePricingError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (model, rest) = match spec.split_once(':') {
            Some((m, r)) => (m, Some(r)),
            None => (spec, None),
        };
        let mut nums = [0u64; 2];
        let mut got = 0;
        for part in rest.into_iter().flat_map(|r| r.split(':')) {
            if got < 2 {
                nums[got] = parse_u64(part)?;
            }
            got += 1;
        }
        let (name, expected): (&'static str, usize) = match model {
            "free" => ("free", 0),
            "flat" => ("flat", 1),
            "evm" => ("evm", 2),
            "stylus" => ("stylus", 2),
            "near" => ("near", 2),
            _ => return Err(ParsePricingError::UnknownModel),
        };
        let preset = got == 0 && matches!(name, "evm" | "stylus" | "near");
        if got != expected && !preset {
            return Err(ParsePricingError::Arity {
                model: name,
                expected,
                got,
            });
        }
        let [a, b] = nums;
        Ok(match name {
            "free" => Self::Free,
            "flat" => Self::Flat { per_page: a },
            "evm" if preset => Self::EVM,
            "evm" if b == 0 => return Err(ParsePricingError::ZeroDivisor),
            "evm" => Self::EvmQuadratic {
                word_gas: a,
                quad_divisor: b,
            },
            "stylus" if preset => Self::STYLUS,
            "stylus" => Self::Stylus {
                free_pages: u32::try_from(a).map_err(|_| ParsePricingError::NotANumber)?,
                page_gas: b,
            },
            "near" if preset => Self::NEAR,
            _ => Self::Near {
                base: a,
                per_page: b,
            },
        })
    }
}

/// A decimal `u64`, `_` separators allowed.
fn parse_u64(s: &str) -> Result<u64, ParsePricingError> {
    let mut v: u64 = 0;
    let mut digits = 0;
    for c in s.bytes() {
        match c {
            b'0'..=b'9' => {
                v = v
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(c - b'0')))
                    .ok_or(ParsePricingError::NotANumber)?;
                digits += 1;
            }
            b'_' if digits > 0 => {}
            _ => return Err(ParsePricingError::NotANumber),
        }
    }
    if digits == 0 {
        return Err(ParsePricingError::NotANumber);
    }
    Ok(v)
}

/// A host function reporting the gas left, consulted before every growth.
pub type GasHook = fn() -> i64;

/// Module name of the optional gas hook import.
pub const GAS_HOOK_MODULE: &str = "capheap";
/// Field name of the optional gas hook import: `gas_left() -> i64`.
pub const GAS_HOOK_IMPORT: &str = "gas_left";

#[cfg(target_arch = "wasm32")]
mod host {
    #[link(wasm_import_module = "capheap")]
    unsafe extern "C" {
        #[link_name = "gas_left"]
        pub(super) fn capheap_gas_left() -> i64;
    }
}

/// Ask the host for the gas left through the `capheap.gas_left` import. Only
/// referenced (and therefore only imported) when a config uses
/// [`HOST_GAS_HOOK`].
#[cfg(target_arch = "wasm32")]
pub fn host_gas_left() -> i64 {
    // SAFETY: an import with no arguments and no memory access; the host
    // contract of `capheap.gas_left` is to return an integer.
    unsafe { host::capheap_gas_left() }
}

/// The gas hook that imports `gas_left() -> i64` from module `"capheap"`.
#[cfg(target_arch = "wasm32")]
pub const HOST_GAS_HOOK: Option<GasHook> = Some(host_gas_left);

/// Prices and charges every page an allocator grows.
///
/// Holds the mutable half of metering (remaining budget, totals, high-water
/// mark); the pricing model and caps are passed in, so that a `static` heap's
/// configuration stays in read-only memory and unused models compile away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrowthMeter {
    remaining: Option<u64>,
    charged: u64,
    pages_grown: u64,
    high_water_pages: u32,
}

impl GrowthMeter {
    /// A meter with `budget` (`None` = unlimited).
    ///
    /// ```
    /// use capheap::GrowthMeter;
    ///
    /// let meter = GrowthMeter::new(Some(10_000));
    /// assert_eq!((meter.remaining(), meter.charged(), meter.pages_grown()), (Some(10_000), 0, 0));
    /// ```
    pub const fn new(budget: Option<u64>) -> Self {
        Self {
            remaining: budget,
            charged: 0,
            pages_grown: 0,
            high_water_pages: 0,
        }
    }

    /// Budget left (`None` = unlimited).
    ///
    /// ```
    /// use capheap::{backend::NativePages, GrowthMeter, PagePricing};
    ///
    /// let mut memory = NativePages::new(0, 8);
    /// let mut meter = GrowthMeter::new(Some(100));
    /// meter.grow(&mut memory, &PagePricing::Flat { per_page: 30 }, None, None, 2).unwrap();
    /// assert_eq!(meter.remaining(), Some(40));
    /// assert_eq!(GrowthMeter::new(None).remaining(), None);
    /// ```
    pub const fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// Replace the remaining budget.
    ///
    /// ```
    /// use capheap::{backend::NativePages, AllocError, GrowthMeter, PagePricing};
    ///
    /// let mut memory = NativePages::new(0, 8);
    /// let mut meter = GrowthMeter::new(Some(0));
    /// let flat = PagePricing::Flat { per_page: 30 };
    /// assert!(matches!(
    ///     meter.grow(&mut memory, &flat, None, None, 1),
    ///     Err(AllocError::BudgetExhausted { .. })
    /// ));
    /// meter.set_budget(Some(30));
    /// assert_eq!(meter.grow(&mut memory, &flat, None, None, 1), Ok(0));
    /// ```
    pub fn set_budget(&mut self, budget: Option<u64>) {
        self.remaining = budget;
    }

    /// Total price charged so far.
    ///
    /// ```
    /// use capheap::{backend::NativePages, GrowthMeter, PagePricing};
    ///
    /// let mut memory = NativePages::new(0, 8);
    /// let mut meter = GrowthMeter::new(None);
    /// let near = PagePricing::Near { base: 100, per_page: 10 };
    /// meter.grow(&mut memory, &near, None, None, 3).unwrap();
    /// meter.grow(&mut memory, &near, None, None, 1).unwrap();
    /// assert_eq!(meter.charged(), (100 + 30) + (100 + 10));
    /// ```
    pub const fn charged(&self) -> u64 {
        self.charged
    }

    /// Total pages grown through this meter.
    ///
    /// ```
    /// use capheap::{backend::NativePages, GrowthMeter, PagePricing};
    ///
    /// let mut memory = NativePages::new(1, 8);
    /// let mut meter = GrowthMeter::new(None);
    /// meter.grow(&mut memory, &PagePricing::FREE, None, None, 3).unwrap();
    /// // The page that was already there is not counted.
    /// assert_eq!(meter.pages_grown(), 3);
    /// ```
    pub const fn pages_grown(&self) -> u64 {
        self.pages_grown
    }

    /// Highest page count seen.
    ///
    /// ```
    /// use capheap::{backend::NativePages, GrowthMeter, PagePricing};
    ///
    /// let mut memory = NativePages::new(1, 8);
    /// let mut meter = GrowthMeter::new(None);
    /// meter.grow(&mut memory, &PagePricing::FREE, None, None, 3).unwrap();
    /// assert_eq!(meter.high_water_pages(), 4);
    /// ```
    pub const fn high_water_pages(&self) -> u32 {
        self.high_water_pages
    }

    /// Price growing `delta` pages from `current` pages, and check it against
    /// the budget and the gas hook. Changes nothing.
    ///
    /// ```
    /// use capheap::{AllocError, GrowthMeter, PagePricing};
    ///
    /// let meter = GrowthMeter::new(Some(1_500));
    /// let flat = PagePricing::Flat { per_page: 1_000 };
    /// assert_eq!(meter.quote(&flat, None, 4, 1), Ok(1_000));
    /// assert_eq!(
    ///     meter.quote(&flat, None, 4, 2),
    ///     Err(AllocError::BudgetExhausted { price: 2_000, remaining: 1_500 })
    /// );
    /// // A quote changes nothing.
    /// assert_eq!(meter.remaining(), Some(1_500));
    /// ```
    pub fn quote(
        &self,
        pricing: &PagePricing,
        gas_hook: Option<GasHook>,
        current: u32,
        delta: u32,
    ) -> Result<u64, AllocError> {
        let req = GrowthRequest {
            current_pages: current,
            high_water_pages: self.high_water_pages.max(current),
            delta_pages: delta,
        };
        let price = match pricing.price(req) {
            Some(p) => p,
            None => {
                return Err(AllocError::Unpriceable {
                    current_pages: current,
                    delta_pages: delta,
                });
            }
        };
        match self.remaining {
            Some(remaining) if price > remaining => {
                return Err(AllocError::BudgetExhausted { price, remaining });
            }
            _ => {}
        }
        if let Some(hook) = gas_hook {
            let gas_left = hook();
            if gas_left < 0 || (gas_left as u64) < price {
                return Err(AllocError::GasHookRefused { price, gas_left });
            }
        }
        Ok(price)
    }

    /// THE growth path: check the memory-pages cap, price, check budget and
    /// gas hook, grow `backend` by exactly `delta` pages, then charge. Returns
    /// the previous size in pages. On any error nothing has changed.
    ///
    /// ```
    /// use capheap::backend::{NativePages, PageSource};
    /// use capheap::{AllocError, CapKind, GrowthMeter, PagePricing};
    ///
    /// let mut memory = NativePages::new(1, 16);
    /// let mut meter = GrowthMeter::new(None);
    /// // Returns the size before the growth, like `memory.grow`.
    /// assert_eq!(meter.grow(&mut memory, &PagePricing::FREE, Some(4), None, 2), Ok(1));
    /// assert_eq!(memory.pages(), 3);
    /// // Past the page cap: refused, and nothing changes.
    /// assert!(matches!(
    ///     meter.grow(&mut memory, &PagePricing::FREE, Some(4), None, 2),
    ///     Err(AllocError::CapExceeded { cap: CapKind::MemoryPages, limit: 4, requested: 5 })
    /// ));
    /// assert_eq!((memory.pages(), meter.pages_grown()), (3, 2));
    /// ```
    pub fn grow<B: PageSource + ?Sized>(
        &mut self,
        backend: &mut B,
        pricing: &PagePricing,
        max_memory_pages: Option<u32>,
        gas_hook: Option<GasHook>,
        delta: u32,
    ) -> Result<u32, AllocError> {
        let price = self.check(pricing, max_memory_pages, gas_hook, backend.pages(), delta)?;
        self.commit(backend, price, delta)
    }

    /// First half of [`GrowthMeter::grow`]: the memory-pages cap, the price,
    /// the budget and the gas hook, for growing `delta` pages from `current`.
    /// Changes nothing; may run user code (custom pricing, gas hook).
    ///
    /// ```
    /// use capheap::{AllocError, GrowthMeter, PagePricing};
    ///
    /// let meter = GrowthMeter::new(None);
    /// // The price of growing from 2 to 5 pages under a 6-page cap...
    /// assert_eq!(meter.check(&PagePricing::Flat { per_page: 7 }, Some(6), None, 2, 3), Ok(21));
    /// // ...and of going past it.
    /// assert!(matches!(
    ///     meter.check(&PagePricing::Flat { per_page: 7 }, Some(6), None, 2, 5),
    ///     Err(AllocError::CapExceeded { .. })
    /// ));
    /// ```
    pub fn check(
        &self,
        pricing: &PagePricing,
        max_memory_pages: Option<u32>,
        gas_hook: Option<GasHook>,
        current: u32,
        delta: u32,
    ) -> Result<u64, AllocError> {
        let Some(new_pages) = current.checked_add(delta) else {
            return Err(AllocError::OutOfMemory);
        };
        cap::check(
            CapKind::MemoryPages,
            max_memory_pages.map(u64::from),
            new_pages as u64,
        )?;
        self.quote(pricing, gas_hook, current, delta)
    }

    /// Second half of [`GrowthMeter::grow`]: grow by `delta` pages and charge
    /// `price` (as returned by [`GrowthMeter::check`] for the backend's current
    /// size). On failure nothing has changed.
    ///
    /// ```
    /// use capheap::backend::{NativePages, PageSource};
    /// use capheap::{GrowthMeter, PagePricing};
    ///
    /// let mut memory = NativePages::new(0, 8);
    /// let mut meter = GrowthMeter::new(Some(100));
    /// let flat = PagePricing::Flat { per_page: 10 };
    /// // Check first (this may run user code), then grow and charge.
    /// let price = meter.check(&flat, None, None, memory.pages(), 2).unwrap();
    /// assert_eq!(meter.commit(&mut memory, price, 2), Ok(0));
    /// assert_eq!((memory.pages(), meter.charged(), meter.remaining()), (2, 20, Some(80)));
    /// ```
    pub fn commit<B: PageSource + ?Sized>(
        &mut self,
        backend: &mut B,
        price: u64,
        delta: u32,
    ) -> Result<u32, AllocError> {
        match self.remaining {
            Some(remaining) if price > remaining => {
                return Err(AllocError::BudgetExhausted { price, remaining });
            }
            _ => {}
        }
        let prev = backend.grow(delta).ok_or(AllocError::OutOfMemory)?;
        if let Some(r) = &mut self.remaining {
            *r -= price;
        }
        self.charged = self.charged.saturating_add(price);
        self.pages_grown += delta as u64;
        self.high_water_pages = self.high_water_pages.max(prev.saturating_add(delta));
        Ok(prev)
    }
}
