"""Theory: the ideas of the two articles, from the minimax game to the gradient penalty.

A page a student reads top to bottom. The formulas are the ones ganlib/gans.py implements,
and every section ends with the page and preset that show its idea live. The one chart (the
generator's two losses and the gradients they pass back) is a plot of formulas, computed
here with numpy; it involves no training.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

# (anchor, heading) of each section, in reading order: the table of contents and the
# headings are drawn from this one list, so they cannot disagree.
SECTIONS = (
    ("minimax", "1. The minimax game"),
    ("losses", "2. The discriminator's and the generator's losses"),
    ("saturation", "3. Vanishing gradients and the non-saturating loss"),
    ("mode-collapse", "4. Mode collapse"),
    ("wasserstein", "5. The Wasserstein distance and the critic"),
    ("lipschitz", "6. Keeping the critic Lipschitz: clipping or gradient penalty"),
    ("n-critic", "7. Training the critic: n_critic and RMSprop"),
    ("sources", "Sources"),
)
PAGE_ICONS = {
    "pages/train.py": ":material/model_training:",
    "pages/compare.py": ":material/compare:",
    "pages/playground.py": ":material/scatter_plot:",
}
MINIMAX_COLOR, NON_SATURATING_COLOR = "#6b7280", "#ea580c"   # grey: the loss to avoid


def heading(anchor: str) -> None:
    """A section heading with its table-of-contents anchor."""
    st.header(dict(SECTIONS)[anchor], anchor=anchor, divider="gray")


def try_it(how: str, *links: tuple[str, str]) -> None:
    """Close a section: where the idea can be watched live, and the setting to choose."""
    with st.container(border=True):
        for page, label in links:
            st.page_link(page, label=label, icon=PAGE_ICONS[page])
        st.markdown(how)


def saturation_figure() -> go.Figure:
    """The minimax and non-saturating generator losses against D(G(z)), and the size of the
    gradient each passes back through the discriminator's sigmoid."""
    d_fake = np.linspace(0.005, 0.995, 199, dtype=np.float32)     # D(G(z))
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "Generator loss (G pushes it down)", "Gradient reaching G, |∂loss/∂a|"))
    curves = (
        ("minimax: log(1 − D(G(z)))", MINIMAX_COLOR, np.log1p(-d_fake), d_fake),
        ("non-saturating: −log D(G(z))", NON_SATURATING_COLOR, -np.log(d_fake), 1 - d_fake),
    )
    for name, color, loss, slope in curves:
        line = dict(color=color, width=4)
        figure.add_trace(go.Scatter(x=d_fake, y=loss, name=name, line=line,
                                    legendgroup=name), row=1, col=1)
        figure.add_trace(go.Scatter(x=d_fake, y=slope, name=name, line=line,
                                    legendgroup=name, showlegend=False), row=1, col=2)
    figure.update_annotations(font_size=18)                      # the two subplot titles
    figure.add_vrect(x0=0, x1=0.15, fillcolor="#2563eb", opacity=0.12, line_width=0,
                     row="all", col="all")
    for axis in ("", "2"):
        figure.add_annotation(x=0.16, y=0.97, xref=f"x{axis}", yref=f"y{axis} domain",
                              text="← early training: D rejects the fakes", showarrow=False,
                              xanchor="left", font=dict(size=14, color="#1e40af"))
    figure.update_xaxes(title_text="D(G(z)): how real D finds the fakes", range=[0, 1],
                        tickfont_size=15, title_font_size=16)
    figure.update_yaxes(tickfont_size=15, title_font_size=16)
    figure.update_yaxes(title_text="loss", row=1, col=1)
    figure.update_yaxes(title_text="gradient size", range=[0, 1.1], row=1, col=2)
    figure.update_layout(height=460, font=dict(size=16), margin=dict(l=10, r=10, t=60, b=10),
                         legend=dict(orientation="h", yanchor="top", y=-0.2, x=0,
                                     font_size=16),
                         hovermode="x unified", uirevision="theory-saturation")
    return figure


st.title("Theory: from GAN to WGAN-GP")
st.markdown(
    "The ideas behind this app, retold from the two articles it implements (a GAN article "
    "and a WGAN article, both in Vietnamese; see [Sources](#sources)) and the papers behind "
    "them. Every formula here is what the code trains, and every section ends with a link "
    "to the page where you can watch it happen.")

st.markdown("**Contents**\n\n" + "\n".join(
    f"- [{title}](#{anchor})" for anchor, title in SECTIONS))

st.markdown(r"""
**Notation.** $x$ is a real image (28 × 28 pixels in $[-1, 1]$). $z \sim \mathcal{N}(0, I)$
is a noise vector of `latent_dim` numbers. $G(z)$ is the image the generator makes from it.
$D(x)$ is the discriminator's probability that $x$ is real; $c(x)$ is a WGAN critic's score.
$\mathbb{E}[\cdot]$ is an average: over a batch, in the code.
""")

# --- 1 -----------------------------------------------------------------------------------
heading("minimax")
st.markdown(
    "A GAN is two networks trained against each other. The GAN article pictures them as a "
    "**counterfeiter and the police**. The generator $G$ is the counterfeiter: from random "
    "noise $z$ it prints a fake image $G(z)$. The discriminator $D$ is the police: it looks "
    "at an image and says how likely it is to be real. Each time the police catch a fake, "
    "the counterfeiter learns from the feedback and prints better fakes, and the police "
    "must look closer.")
st.markdown("Goodfellow et al. (2014) write the contest as one value that $D$ tries to "
            "raise and $G$ tries to lower:")
st.latex(r"\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}\big[\log D(x)\big]"
         r" + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big]")
st.markdown(r"""
- **$D$ maximises $V$:** $D(x) \to 1$ on real images and $D(G(z)) \to 0$ on fakes.
- **$G$ minimises $V$:** it appears only in the second term, so it wants $D(G(z)) \to 1$:
  fakes that the police take for real.

Training alternates, as in the article's four steps: (1) draw noise $z$ and make $G(z)$,
pure noise at first; (2) show $D$ real images and fakes with their labels and update $D$;
(3) pass fresh fakes through $D$ and update $G$ from $D$'s feedback, $D$ unchanged;
(4) repeat, until $D$ can no longer tell the fakes from the real images.
""")
st.markdown(r"""
Where this ends, in theory: for a fixed $G$ the best discriminator is
$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}$, and with it $V$ becomes
$-\log 4 + 2\,\mathrm{JS}(p_\text{data} \,\|\, p_g)$, where JS is the Jensen–Shannon
divergence between the real and the generated distribution. The game is won when
$p_g = p_\text{data}$: then $D(x) = \tfrac12$ everywhere, a coin toss.
""")
try_it("Start **GAN · quick** and open the **Scores** tab: the mean $D(x)$ and "
       "$D(G(z))$ move towards each other as the fakes improve.",
       ("pages/train.py", "Train a GAN on the Train page"))

# --- 2 -----------------------------------------------------------------------------------
heading("losses")
st.markdown("In code, the game becomes two losses, each minimised by gradient descent. "
            "Both are the **binary cross-entropy** (BCE) of $D$'s output $p$ against a "
            "target label $y$:")
st.latex(r"\mathrm{BCE}(y, p) = -\big[\, y \log p + (1 - y) \log(1 - p) \,\big]")
st.markdown("**The discriminator** learns to answer 1 for real images and 0 for fakes. "
            "Its loss is the average of two BCEs, and minimising it is maximising $V$:")
st.latex(r"L_D = \tfrac12\Big[\mathrm{BCE}\big(1, D(x)\big) + \mathrm{BCE}\big(0, D(G(z))\big)"
         r"\Big] = -\tfrac12\Big[\log D(x) + \log\big(1 - D(G(z))\big)\Big]")
st.markdown(r"""
**Label smoothing.** The GAN article does not use the targets 1 and 0 but **0.9 for real
and 0.1 for fake**. A discriminator that is never rewarded for being completely sure stays
less over-confident, so its sigmoid saturates later and the generator keeps receiving
useful feedback. The **article** preset uses exactly these targets (`real_label = 0.9`,
`fake_label = 0.1`); the **quick** preset smooths only the real label (0.9 and 0).
Like the article, which calls `train_on_batch` once on a real batch and once on a fake
batch, the article preset makes two optimiser steps per discriminator update.
""")
st.markdown(r"""
**The generator** is trained through the discriminator, whose weights stay fixed. The
article labels the generator's fakes as **real** (0.9) and trains the stacked model
$D(G(z))$ on them, so the generator minimises (here with the target 1)
""")
st.latex(r"L_G = \mathrm{BCE}\big(1, D(G(z))\big) = -\log D(G(z))")
st.markdown(r"""
This is the **non-saturating** generator loss of section 3, the default here
(`g_loss = non-saturating`). The game's own generator loss, the second term of $V$, is
$L_G^\text{minimax} = \log\big(1 - D(G(z))\big)$, to be minimised (`g_loss = minimax`).

In our networks the discriminator's last layer is a plain `Dense(1)` whose output $a$, the
*logit*, goes through the sigmoid $D = \sigma(a)$ inside the loss. It is the same function
as the article's sigmoid layer, but it avoids the float32 rounding that turns
$\log(1 - D)$ into exactly zero gradient. The charts still show $D$ as a probability.
""")
try_it("Choose **GAN · article** preset: the GAN article's networks, Adam (learning rate "
       "1e-4, beta_1 0.3), targets 0.9 / 0.1, batch 8. The targets and the generator loss "
       "are under *Discriminator targets and generator loss*.",
       ("pages/train.py", "Train the GAN article's model"))

# --- 3 -----------------------------------------------------------------------------------
heading("saturation")
st.markdown(r"""
Early in training the fakes are noise and $D$ rejects them easily: $D(G(z)) \approx 0$.
There the minimax loss $\log(1 - D(G(z))) \approx \log 1 = 0$ is **flat**: a better fake
barely changes it, so almost no gradient reaches $G$. The generator learns least exactly
when it is worst. The GAN article calls this the generator's *diminished gradient*.
""")
st.markdown(r"""
Why it is flat: $D = \sigma(a)$, and every gradient that reaches $G$ passes through the
logit $a$. Differentiating each loss with respect to $a$:
""")
st.latex(r"\frac{\partial}{\partial a} \log\big(1 - \sigma(a)\big) = -D(G(z))"
         r"\qquad\qquad"
         r"\frac{\partial}{\partial a} \big[-\log \sigma(a)\big] = -\big(1 - D(G(z))\big)")
st.markdown(r"""
With the minimax loss, $G$'s gradient is scaled by $D(G(z))$, nearly 0 while $D$ wins.
The **non-saturating** fix (Goodfellow et al. 2014, and the GAN article) is to *maximise
$\log D(G(z))$* instead of minimising $\log(1 - D(G(z)))$. Both push $D(G(z))$ towards 1,
but the new loss is steepest exactly where the generator is losing. In practice it is the
"label the fakes as real" trick of section 2.
""")
st.plotly_chart(saturation_figure(), key="theory-saturation", width="stretch")
st.caption("Left: both losses fall as the fakes fool D, but the minimax loss is flat in "
           "the shaded early region. Right: the gradient each passes back to G. The "
           "minimax line starts at 0, the non-saturating line at its largest.")
try_it("Start **GAN · quick** with **Generator loss = minimax**, then again with "
       "non-saturating, and compare how fast digits appear. The difference is clearest "
       "when the discriminator is strong: with the **GAN · mode-collapse** preset, whose "
       "discriminator learns 5 times faster, $D(G(z))$ on the **Scores** tab stays low "
       "and the generator's gradient norm (`g_grad_norm`, kept in every run's history) "
       "is several times smaller with minimax.",
       ("pages/train.py", "Try the minimax generator loss on the Train page"))

# --- 4 -----------------------------------------------------------------------------------
heading("mode-collapse")
st.markdown(r"""
The WGAN article's example: you train on all ten digit classes, 0 to 9, yet the generator
draws samples of **only one class**. Many different noise vectors $z$ map to the same few
images. This is **mode collapse**: the generator covers one *mode* (peak) of the data
distribution and ignores the others.
""")
st.markdown(r"""
Why it happens: the generator is not trained to match the data, only to fool **today's**
discriminator. If one kind of digit fools it, the cheapest way to lower the generator's
loss is to draw that digit for every $z$. The discriminator then learns to reject it, the
generator jumps to another digit, and the chase goes on without all ten classes ever
appearing together. The BCE losses do not reveal this: they can look healthy while every
sample is a 1. Look at the samples instead: the same digit in cell after cell of the grid.
The WGAN paper reports no mode collapse in its experiments: a critic trained close to
optimal scores all of the real data, so it keeps pulling the generator towards the digits
it is missing.
""")
try_it("Choose the **mode-collapse** line-up: **GAN · mode-collapse** preset (a "
       "generator that learns 100 times faster than its discriminator, from only 2 latent "
       "numbers) against WGAN and WGAN-GP with the same latent size. Look at which digits "
       "each one draws: the GAN keeps 2-4 of the 10. In the 2D playground, press **Show me "
       "mode collapse** (ring + GAN, 3 generator updates per step) and watch the points "
       "gather on one or two blobs.",
       ("pages/compare.py", "GAN · mode-collapse on the Compare page"),
       ("pages/playground.py", "2D playground: ring + GAN"))

# --- 5 -----------------------------------------------------------------------------------
heading("wasserstein")
st.markdown(r"""
**The earth mover's distance.** Picture the real images as a pile of earth spread over
image space, and the generated images as a second pile. The Wasserstein distance is the
least total work needed to reshape one pile into the other, counting work as mass times
the distance it moves:
""")
st.latex(r"W(p_\text{data}, p_g) = \inf_{\gamma \in \Pi(p_\text{data},\, p_g)}"
         r"\; \mathbb{E}_{(x, y) \sim \gamma}\, \lVert x - y \rVert")
st.markdown(r"""
Here $\gamma$ is a transport plan: how much earth goes from each $x$ to each $y$.
Why it helps: early in training the generated images and the real ones do not overlap at
all. The Jensen–Shannon divergence the GAN minimises is then stuck at $\log 2$, however far
apart the piles are, so it gives no direction. $W$ still measures how far apart they are
and shrinks smoothly as the generator moves its pile closer. Arjovsky et al. (2017) give
the simplest case: two parallel line segments a distance $\theta$ apart have $W = |\theta|$,
but $\mathrm{JS} = \log 2$ for every $\theta \neq 0$.
""")
st.markdown("Searching over transport plans is intractable, but the Kantorovich–Rubinstein "
            "duality turns $W$ into a search over functions $c$ whose slope is at most 1 "
            "(**1-Lipschitz**, section 6):")
st.latex(r"W(p_\text{data}, p_g) = \sup_{\lVert c \rVert_L \le 1}\;"
         r"\mathbb{E}_{x \sim p_\text{data}}\big[c(x)\big]"
         r" - \mathbb{E}_{z \sim p_z}\big[c(G(z))\big]")
st.markdown(r"""
A neural network plays $c$: the **critic**. It replaces the discriminator and differs
from it in one layer: its output is **linear** (`Dense(1)`, no sigmoid), a **score** that
is higher for more realistic images, any real number, **not a probability**. The critic
maximises $\mathbb{E}[c(x)] - \mathbb{E}[c(G(z))]$, equation (1) of the WGAN article; the
generator minimises it, which means raising the scores of its fakes. What ganlib computes:
""")
st.latex(r"L_\text{critic} = \mathbb{E}\big[c(G(z))\big] - \mathbb{E}\big[c(x)\big]"
         r"\qquad L_G = -\mathbb{E}\big[c(G(z))\big]"
         r"\qquad \hat W = \mathbb{E}\big[c(x)\big] - \mathbb{E}\big[c(G(z))\big]")
st.markdown(r"""
**The article's label trick.** To reuse Keras's `train_on_batch`, the article labels real
images **−1** and fakes **+1** and uses the loss `mean(y * c)`. On a real batch this is
$-\mathbb{E}[c(x)]$, on a fake batch $+\mathbb{E}[c(G(z))]$: the two halves of
$L_\text{critic}$. The generator's fakes are labelled −1 ("real"), which gives
$L_G = -\mathbb{E}[c(G(z))]$. (The article's listing shows `np.ones` there, but the code it
follows labels them −1, as it must: with +1 the generator would make its images look more
fake.) The labels are only a device; ganlib writes the objective out directly.
""")
try_it("Start **WGAN · quick** (or **WGAN · article**: the WGAN article's networks, "
       "trained on the digit 7). On the **Losses** tab the Wasserstein estimate "
       "$\\hat W$ falls as the samples improve; on the **Scores** tab the gap between "
       "$c(x)$ and $c(G(z))$ is that estimate.",
       ("pages/train.py", "Train a WGAN on the Train page"))

# --- 6 -----------------------------------------------------------------------------------
heading("lipschitz")
st.markdown(r"""
The duality holds only for critics that are **1-Lipschitz**:
$|c(x_1) - c(x_2)| \le \lVert x_1 - x_2 \rVert$, so the score never changes faster than
the image does. Without a limit the critic could make $\mathbb{E}[c(x)] - \mathbb{E}[c(G(z))]$
as large as it likes just by scaling its output. A bound of $K$ instead of 1 only scales
the estimate by $K$, which is harmless.
""")
st.markdown(r"""
**Weight clipping (WGAN, and the WGAN article).** After every critic update each weight
is clipped to $[-0.01, 0.01]$ (`clip_value`). A network with bounded weights has a bounded
slope. The article clips the convolution kernels; ganlib clips every trainable critic weight,
as the WGAN paper's algorithm does. The paper itself calls clipping "a clearly terrible way"
to enforce the constraint:
- **Capacity:** most weights end up pinned at $\pm c$, and the critic learns only simple
  functions (Gulrajani et al. 2017).
- **The clip value is a knife edge:** too small, and the gradients vanish on their way back
  through a deep critic; too large, and they can explode, and the weights take long to
  reach their limits, so the critic is slow to become optimal. Training is sensitive to $c$.
""")
st.markdown(r"""
**Gradient penalty (WGAN-GP).** A differentiable function is 1-Lipschitz when its gradient
has norm at most 1 everywhere, and the optimal critic has gradient norm exactly 1 on the
straight lines between real and generated images. So instead of clipping, WGAN-GP penalises
the distance of that norm from 1 at random points $\hat x$ on those lines:
""")
st.latex(r"L_\text{critic} = \mathbb{E}\big[c(G(z))\big] - \mathbb{E}\big[c(x)\big]"
         r" + \lambda\, \mathbb{E}_{\hat x}\Big[\big(\lVert \nabla_{\hat x}\, c(\hat x)"
         r" \rVert_2 - 1\big)^2\Big],"
         r"\qquad \hat x = \epsilon\, x + (1 - \epsilon)\, G(z),\quad"
         r" \epsilon \sim U[0, 1]")
st.markdown(r"""
- $\lambda = 10$ (`gp_weight`), as in the paper.
- $\epsilon$ is drawn **once per sample**, so each pair of real and fake images gets its own
  point on its own line (one $\epsilon$ for the whole batch would put every $\hat x$ at the
  same fraction of the way). A popular Keras example draws $\epsilon$ from a normal
  distribution instead, which puts most $\hat x$ beyond the ends of their line, and omits
  the small number under the square root that keeps the norm's gradient finite at 0.
- **No BatchNorm in the critic:** the penalty is about each sample's own gradient, but
  BatchNorm makes each score depend on the rest of the batch. The WGAN-GP presets use
  critics without it.
""")
try_it("Start **WGAN · quick** (clipping at 0.01) and **WGAN-GP · quick** (penalty "
       "weight 10), or run the **quick** line-up on the Compare page to train them side "
       "by side. To see how sensitive clipping is, change the weight clip to 0.1 or 0.001.",
       ("pages/train.py", "WGAN-GP · quick on the Train page"),
       ("pages/compare.py", "Clipping vs gradient penalty on the Compare page"))

# --- 7 -----------------------------------------------------------------------------------
heading("n-critic")
st.markdown(r"""
**Several critic steps per generator step.** $\mathbb{E}[c(x)] - \mathbb{E}[c(G(z))]$
equals the Wasserstein distance only for the *best* critic. A half-trained critic
underestimates it, and its gradient can point the generator anywhere. So the critic is
updated **n_critic = 5** times before every generator update. In the WGAN article's loop,
each of the 5 critic updates is a half batch of 32 real images labelled −1, then 32 fakes
labelled +1; then the generator takes one step on a batch of 64.

For a GAN this would be a mistake: a perfect discriminator saturates its sigmoid and the
generator's gradient vanishes (section 3), so GANs keep the two networks in balance (the
GAN article tells you to watch that they do not drift apart). A critic's linear output
does not saturate, so training it to near-optimal is exactly what you want.
""")
st.markdown(r"""
**RMSprop, without momentum.** The WGAN paper found that critic training became unstable
with a momentum-based optimiser such as Adam. The critic chases a moving target (the
generator changes after every step), and momentum keeps pushing in a direction that is
already out of date. It switched to **RMSprop** with a small learning rate: $5 \times
10^{-5}$ in the article. WGAN-GP trains with Adam, but by default with $\beta_1 = 0$,
which switches its momentum off.
""")
try_it("Choose **WGAN · article**: RMSprop 5e-5, clip 0.01, n_critic 5, trained on the "
       "digit 7. Then change **n_critic** to 1, or the optimiser to Adam, and watch the "
       "Wasserstein estimate and the samples.",
       ("pages/train.py", "Train the WGAN article's model"))

# --- sources -------------------------------------------------------------------------------
heading("sources")
st.markdown("""
- trungthanhnguyen, **"GAN series - p1. GAN cơ bản"** (GAN basics), Viblo: the GAN
  article; the minimax game, the diminished gradient, and its Keras DCGAN for MNIST.
- huytranvan2010, **"Mô hình WGAN"** (The WGAN model): the WGAN article; the critic, the
  Wasserstein loss, weight clipping, n_critic and RMSprop, and its Keras WGAN for the
  digit 7 ([source code](https://github.com/huytranvan2010/WGAN)).
- I. Goodfellow et al., **Generative Adversarial Networks**, 2014.
  [arXiv:1406.2661](https://arxiv.org/abs/1406.2661)
- M. Arjovsky, S. Chintala, L. Bottou, **Wasserstein GAN**, 2017.
  [arXiv:1701.07875](https://arxiv.org/abs/1701.07875)
- I. Gulrajani et al., **Improved Training of Wasserstein GANs** (WGAN-GP), 2017.
  [arXiv:1704.00028](https://arxiv.org/abs/1704.00028)

How our code follows each article, and where it departs from it, is listed in
`docs/articles.md`.
""")
