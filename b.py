import numpy as np
rng = np.random.default_rng(0)
X = np.round(rng.standard_normal((4, 2)), 2); y = np.round(rng.standard_normal((4, 1)), 2)
def fwd(X,y,w): 
    N=np.dot(X,w['W']); P=N+w['B']; return np.mean((y-P)**2), P
def ew(X,y,w):
    _,P=fwd(X,y,w); return -2*(y-P)*np.ones_like(P)*X.T
def run(Xb,lr=0.01,steps=2000):
    w={"W":np.array([[0.5],[-1.0]]),"B":np.array([[0.25]])}; L=[]
    for _ in range(steps+1):
        l,P=fwd(Xb,y[:2],w); L.append(l)
        w={"W":w["W"]-lr*ew(Xb,y[:2],w),"B":w["B"]-lr*np.sum(-2*(y[:2]-P),axis=0)}
    return w,np.array(L)
w,L=run(X[:2]); print(w["W"].shape,w["B"].shape,L[0],L.min(),L[-1],np.argmin(L))
w,L=run(np.random.default_rng(2).standard_normal((2,2))); print(w["W"].shape,L[0],L[-1])
# check claim: column k of residual multiplied by I-2 eta A_k with (A_k)_ij = X_ij X_kj + 1
Xb=X[:2]
for k in range(2): print(np.linalg.eigvals(Xb*Xb[k]+1))
